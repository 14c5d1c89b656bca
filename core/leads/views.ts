import { z } from "zod";
import { category } from "../schemas/classification.ts";
import { contactChannel } from "../schemas/lead.ts";
import { priority, routingQueue } from "../schemas/routing.ts";
import {
  STEP_NAMES,
  stepError,
  stepName,
  stepStatus,
  WAITING_REASONS,
  workflowStatus,
} from "../schemas/workflow.ts";
import { classifyOutput } from "../steps/classify.ts";
import { extractOutput } from "../steps/extract.ts";
import { routeOutput } from "../steps/route.ts";

/*
 * The JSON shapes the API answers with (snake_case; tools outside the code rely on these names), as zod schemas:
 * the API's OpenAPI document is generated from them, and the types below are inferred from them. The web app reads
 * the types with `import type`, so nothing of zod reaches its bundle.
 */

const timestamp = z.iso.datetime();

export const leadListItem = z
  .object({
    id: z.uuid(),
    name: z.string(),
    contact_channel: contactChannel,
    created_at: timestamp,
    status: workflowStatus,
    category: category.nullable(),
    queue: routingQueue.nullable(),
    priority: priority.nullable(),
    sla_minutes: z.number().int().nullable(),
  })
  .meta({ id: "LeadListItem" });
export type LeadListItem = z.infer<typeof leadListItem>;

export const leadPage = z
  .object({
    items: z.array(leadListItem),
    next_cursor: z.string().nullable().describe("Opaque; null on the last page."),
  })
  .meta({ id: "LeadPage" });

/** A step's output is the step's own output schema: classify, extract and route each have theirs. */
export const stepOutput = z.union([
  classifyOutput.meta({ id: "ClassifyOutput" }),
  extractOutput.meta({ id: "ExtractOutput" }),
  routeOutput.meta({ id: "RouteOutput" }),
]);

export const stepView = z
  .object({
    name: stepName,
    status: stepStatus,
    output: stepOutput.nullable(),
    error: stepError.nullable(),
    attempts: z
      .number()
      .int()
      .describe("Model calls made for this step so far, re-asks and queue retries included."),
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
  })
  .meta({ id: "StepView" });
export type StepView = z.infer<typeof stepView>;

export const workflowWaiting = z.object({ reason: z.enum(WAITING_REASONS), until: timestamp });
export type WorkflowWaiting = z.infer<typeof workflowWaiting>;

const tokenCounts = z.object({ prompt: z.number(), completion: z.number() });

export const leadDetail = leadListItem
  .extend({
    contact: z.string().nullable(),
    message: z.string(),
    workflow: z.object({
      id: z.uuid(),
      status: workflowStatus,
      error: stepError.nullable(),
      created_at: timestamp,
      updated_at: timestamp,
      finished_at: timestamp.nullable(),
      waiting: workflowWaiting
        .nullable()
        .describe(
          "Why the current step is held back (provider flow control, the user's daily budget), until when.",
        ),
      tokens: tokenCounts.describe("Every model call of every run, as the answers reported them."),
      cost_usd: z.number(),
      steps: z.array(stepView),
    }),
  })
  .meta({ id: "LeadDetail" });
export type LeadDetail = z.infer<typeof leadDetail>;

export const ATTEMPT_OUTCOMES = ["succeeded", "invalid", "error", "failed"] as const;

/** One model call of a step (GET /leads/:id/attempts). */
export const attemptView = z
  .object({
    step: stepName,
    number: z.number().int(),
    outcome: z.enum(ATTEMPT_OUTCOMES),
    error: stepError.nullable(),
    latency_ms: z.number().int().nullable(),
    model: z.string().nullable(),
    prompt_version: z.string().nullable(),
    tokens: tokenCounts.extend({ total: z.number() }).nullable(),
    raw_response: z.string().nullable(),
    validation_errors: z.array(z.string()).nullable(),
    repaired: z
      .string()
      .nullable()
      .describe("How an answer was repaired before validation (markdown_fence), if it was."),
    cost_usd: z.number(),
    created_at: timestamp,
  })
  .meta({ id: "Attempt" });
export type AttemptView = z.infer<typeof attemptView>;
export const attemptList = z.object({ items: z.array(attemptView) });

/** One entry of a workflow's history (GET /leads/:id/events). */
export const eventView = z
  .object({
    at: timestamp,
    type: z.string(),
    step: stepName.nullable(),
    attempt: z.number().int().nullable(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: "WorkflowEvent" });
export type EventView = z.infer<typeof eventView>;
export const eventList = z.object({ items: z.array(eventView) });

/** The windows GET /stats can look back over (core/leads/stats.ts holds their lengths). */
export const statsPeriod = z.enum(["24h", "7d", "30d"]);
export type StatsPeriod = z.infer<typeof statsPeriod>;

export const countByKey = z.object({
  key: z.string().nullable().describe("null while the value is not known yet (its step has not completed)."),
  count: z.number().int(),
});
export type CountByKey = z.infer<typeof countByKey>;

export const rateByCode = z.object({
  code: z.string(),
  count: z.number().int(),
  rate: z
    .number()
    .describe("count divided by the period's total (workflows or model calls), 0 when there were none."),
});
export type RateByCode = z.infer<typeof rateByCode>;

const milliseconds = z.number().int().nullable();
export const stepLatency = z.object({
  step: z.enum(STEP_NAMES),
  samples: z
    .number()
    .int()
    .describe("Completed steps in the period: started to finished, retries and re-asks included."),
  p50_ms: milliseconds,
  p95_ms: milliseconds,
  calls: z.number().int().describe("Single model calls of this step in the period."),
  call_p50_ms: milliseconds,
  call_p95_ms: milliseconds,
});
export type StepLatency = z.infer<typeof stepLatency>;

export const leadStats = z
  .object({
    period: statsPeriod,
    since: timestamp,
    until: timestamp,
    totals: z.object({
      leads: z.number().int(),
      pending: z.number().int(),
      processing: z.number().int(),
      completed: z.number().int(),
      failed: z.number().int(),
    }),
    by_category: z.array(countByKey),
    by_queue: z.array(countByKey),
    by_priority: z.array(countByKey),
    failures: z.object({
      workflows: z
        .array(rateByCode.extend({ still_failed: z.number().int() }))
        .describe(
          "Workflows of the period's leads that failed with each code at least once, and how many still are.",
        ),
      calls_total: z.number().int(),
      calls: z.array(rateByCode).describe("Model calls of the period that ended in an error, by code."),
    }),
    step_latency: z.array(stepLatency),
    tokens: tokenCounts.describe("Every model call made in the period, re-asks and retries included."),
    cost_usd: z.number(),
  })
  .meta({ id: "LeadStats" });
export type LeadStats = z.infer<typeof leadStats>;

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Dollars to a millionth of a cent: sums of float costs otherwise show binary noise (0.30000000000000004). */
export const roundUsd = (usd: number) => Math.round(usd * 1e8) / 1e8;
