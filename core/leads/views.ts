import { z } from "zod";
import { CHANNEL_TYPES } from "../schemas/channels.ts";
import { category } from "../schemas/classification.ts";
import { handlingState } from "../schemas/handling.ts";
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

/** Where a lead came in when a channel connection brought it (WhatsApp, an inbound email, the web-chat widget). */
export const leadSource = z
  .object({
    channel_id: z.uuid(),
    channel_type: z.enum(CHANNEL_TYPES),
    channel_name: z.string().describe("The connection's name as its owner wrote it (kept after a delete)."),
    from: z
      .string()
      .nullable()
      .describe("Who wrote on that channel: the phone number or email address, if any."),
  })
  .meta({ id: "LeadSource" });
export type LeadSource = z.infer<typeof leadSource>;

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
    source: leadSource
      .nullable()
      .describe("The channel connection it arrived on; null for a lead submitted through POST /leads."),
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

/** The routing people work from: corrections over the AI's decision (computed in core/handling/effective.ts). */
export const effectiveRouting = z
  .object({
    category: category.nullable(),
    queue: routingQueue.nullable(),
    priority: priority.nullable(),
    sla_minutes: z.number().int().nullable(),
    due_at: timestamp.nullable().describe("created_at + sla_minutes; null while no SLA is known."),
    corrected: z.boolean(),
  })
  .meta({ id: "EffectiveRouting" });
export type EffectiveRouting = z.infer<typeof effectiveRouting>;

const correctedValue = z.union([z.string(), z.number()]);
const fieldChange = z.object({ from: correctedValue.nullable(), to: correctedValue });
export const correctionChanges = z
  .object({
    category: fieldChange.optional(),
    queue: fieldChange.optional(),
    priority: fieldChange.optional(),
    sla_minutes: fieldChange.optional(),
  })
  .describe("Each field the correction changed, with the effective value it replaced.");
export type CorrectionChanges = z.infer<typeof correctionChanges>;

/** One correction of a lead's routing, as stored: never edited. */
export const correctionView = z
  .object({ id: z.uuid(), changes: correctionChanges, reason: z.string(), created_at: timestamp })
  .meta({ id: "Correction" });
export type CorrectionView = z.infer<typeof correctionView>;

export const handlingView = z.object({
  state: handlingState,
  first_response_at: timestamp.nullable(),
  updated_at: timestamp,
});

export const leadDetail = leadListItem
  .extend({
    contact: z.string().nullable(),
    message: z.string(),
    effective: effectiveRouting,
    corrections: z.array(correctionView).describe("Every correction of the routing, oldest first."),
    handling: handlingView,
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

const breachRate = z.object({ key: z.string(), due: z.number().int(), rate: z.number().min(0).max(1) });

/** GET /stats's account of people working the queues (core/handling/work-stats.ts). */
export const workStats = z.object({
  first_response_minutes: z
    .object({ p50: z.number().nullable(), p90: z.number().nullable(), answered: z.number().int() })
    .describe("Leads first answered in the period: minutes from arrival to that answer."),
  sla_breach_rate: z
    .number()
    .min(0)
    .max(1)
    .describe(
      "Of the period's routed leads whose due time has passed, the share answered late or not at all.",
    ),
  sla_breach_by_queue: z.array(breachRate),
  sla_breach_by_priority: z.array(breachRate),
  correction_rate_by_category: z
    .record(z.string(), z.number().min(0).max(1))
    .describe("By the category the AI chose: the share of those leads a person corrected."),
  waiting_by_queue: z
    .array(z.object({ key: z.string().nullable(), count: z.number().int(), overdue: z.number().int() }))
    .describe(
      "Open leads now (whatever the period), by effective queue; null: a failed workflow nobody routed.",
    ),
});
export type WorkStats = z.infer<typeof workStats>;

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
    ...workStats.shape,
  })
  .meta({ id: "LeadStats" });
export type LeadStats = z.infer<typeof leadStats>;

/** One row of GET /inbox: a lead as people work it, most urgent first. */
export const inboxItem = leadListItem
  .omit({ status: true })
  .extend({
    due_at: timestamp,
    breached: z.boolean().describe("Answered after due_at, or not answered and due_at has passed."),
    state: handlingState,
    corrected: z.boolean(),
    workflow_status: workflowStatus,
  })
  .meta({ id: "InboxItem" });
export type InboxItem = z.infer<typeof inboxItem>;

export const inboxPage = z
  .object({
    items: z.array(inboxItem),
    next_cursor: z.string().nullable().describe("Opaque; null on the last page."),
  })
  .meta({ id: "InboxPage" });

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Dollars to a millionth of a cent: sums of float costs otherwise show binary noise (0.30000000000000004). */
export const roundUsd = (usd: number) => Math.round(usd * 1e8) / 1e8;
