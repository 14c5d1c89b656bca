import { classification } from "@leadflow/core/schemas/classification";
import { contactChannel, leadInput } from "@leadflow/core/schemas/lead";
import { routing } from "@leadflow/core/schemas/routing";
import {
  stepError,
  stepName,
  stepStatus,
  WAITING_REASONS,
  workflowStatus,
} from "@leadflow/core/schemas/workflow";
import { z } from "zod";
import { credentials } from "./routes/auth.ts";
import { documentedPaths } from "./routes/documented-routers.ts";
import { leadParams, listQuery } from "./routes/leads.ts";
import { statsQuery } from "./routes/stats.ts";

// Response shapes, for the document only: the request schemas above are the ones the routes validate with.
const user = z.object({ id: z.uuid(), email: z.email(), created_at: z.iso.datetime() });
const tokenAnswer = z.object({
  access_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int(),
  user,
});
const apiError = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
const listItem = z.object({
  id: z.uuid(),
  name: z.string(),
  contact_channel: contactChannel,
  created_at: z.iso.datetime(),
  status: workflowStatus,
  category: z.string().nullable(),
  queue: z.string().nullable(),
  priority: z.string().nullable(),
  sla_minutes: z.number().int().nullable(),
});
const step = z.object({
  name: stepName,
  status: stepStatus,
  output: z.union([classification, routing, z.record(z.string(), z.unknown())]).nullable(),
  error: stepError.nullable(),
  attempts: z.number().int(),
  started_at: z.iso.datetime().nullable(),
  finished_at: z.iso.datetime().nullable(),
});
const leadDetail = listItem.extend({
  contact: z.string().nullable(),
  message: z.string(),
  workflow: z.object({
    id: z.uuid(),
    status: workflowStatus,
    error: stepError.nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    finished_at: z.iso.datetime().nullable(),
    waiting: z
      .object({ reason: z.enum(WAITING_REASONS), until: z.iso.datetime() })
      .nullable()
      .describe(
        "Why the current step is held back (provider flow control, the user's daily budget) and until when.",
      ),
    tokens: z.object({ prompt: z.number(), completion: z.number() }),
    cost_usd: z.number(),
    steps: z.array(step),
  }),
});
const attempt = z.object({
  step: stepName,
  number: z.number().int(),
  outcome: z.enum(["succeeded", "invalid", "error", "failed"]),
  error: stepError.nullable(),
  latency_ms: z.number().int().nullable(),
  model: z.string().nullable(),
  prompt_version: z.string().nullable(),
  tokens: z.object({ prompt: z.number(), completion: z.number(), total: z.number() }).nullable(),
  raw_response: z.string().nullable(),
  validation_errors: z.array(z.string()).nullable(),
  repaired: z.string().nullable(),
  cost_usd: z.number(),
  created_at: z.iso.datetime(),
});
const event = z.object({
  at: z.iso.datetime(),
  type: z.string(),
  step: stepName.nullable(),
  attempt: z.number().int().nullable(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});
const countByKey = z.array(z.object({ key: z.string().nullable(), count: z.number().int() }));
const rateByCode = z.array(z.object({ code: z.string(), count: z.number().int(), rate: z.number() }));
const ms = z.number().int().nullable();
const stats = z.object({
  period: statsQuery.shape.period.unwrap(),
  since: z.iso.datetime(),
  until: z.iso.datetime(),
  totals: z.object({
    leads: z.number().int(),
    pending: z.number().int(),
    processing: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
  }),
  by_category: countByKey,
  by_queue: countByKey,
  by_priority: countByKey,
  failures: z.object({
    workflows: z.array(rateByCode.element.extend({ still_failed: z.number().int() })),
    calls_total: z.number().int(),
    calls: rateByCode,
  }),
  step_latency: z.array(
    z.object({
      step: stepName,
      samples: z.number().int(),
      p50_ms: ms,
      p95_ms: ms,
      calls: z.number().int(),
      call_p50_ms: ms,
      call_p95_ms: ms,
    }),
  ),
  tokens: z.object({ prompt: z.number(), completion: z.number() }),
  cost_usd: z.number(),
  // Working the queues (core/handling/work-stats.ts).
  first_response_minutes: z.object({
    p50: z.number().nullable(),
    p90: z.number().nullable(),
    answered: z.number(),
  }),
  sla_breach_rate: z.number().min(0).max(1),
  sla_breach_by_queue: z.array(z.object({ key: z.string(), due: z.number().int(), rate: z.number() })),
  sla_breach_by_priority: z.array(z.object({ key: z.string(), due: z.number().int(), rate: z.number() })),
  correction_rate_by_category: z.record(z.string(), z.number().min(0).max(1)),
  waiting_by_queue: z.array(
    z.object({ key: z.string().nullable(), count: z.number().int(), overdue: z.number().int() }),
  ),
});
const checkResult = z.enum(["ok", "down"]);
// Only the dependencies of the deployment answering: Redis in processes and containers, SQS on Lambda.
const readiness = z.object({
  status: z.enum(["ok", "unavailable"]),
  checks: z.object({
    database: checkResult,
    redis: checkResult
      .optional()
      .describe("where the API uses Redis (QUEUE_DRIVER=bullmq or RATE_LIMIT_STORE=redis)"),
    queue: checkResult.optional().describe("the SQS step queues (QUEUE_DRIVER=sqs)"),
  }),
});

const schema = (s: z.ZodType, io: "input" | "output" = "output") =>
  z.toJSONSchema(s, { target: "draft-2020-12", io, unrepresentable: "any" });
const json = (s: z.ZodType, io?: "input" | "output") => ({ "application/json": { schema: schema(s, io) } });
const answer = (description: string, s?: z.ZodType) => ({ description, ...(s ? { content: json(s) } : {}) });
const errors = (...codes: [number, string][]) =>
  Object.fromEntries(codes.map(([status, description]) => [status, answer(description, apiError)]));

function parameters(s: z.ZodObject, where: "query" | "path") {
  const shape = schema(s, "input") as { properties: Record<string, object>; required?: string[] };
  return Object.entries(shape.properties).map(([name, prop]) => ({
    name,
    in: where,
    required: where === "path" || (shape.required ?? []).includes(name),
    schema: prop,
  }));
}

const secured = { security: [{ bearer: [] }] };
const idParam = { parameters: parameters(leadParams, "path") };
const authErrors = errors([401, "Missing, invalid or expired token (`unauthorized`)."]);
const notFound = errors([404, "Not the caller's lead, or no such lead (`not_found`)."]);

/** The OpenAPI 3.1 document, built from the same zod schemas the routes validate with. */
export function openApiDocument() {
  return {
    openapi: "3.1.0",
    info: {
      title: "leadflow API",
      version: "1.0.0",
      description:
        "Submit inbound leads and follow their AI triage workflow (classify → extract → route). Errors are `{error: {code, message, details?}}`.",
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    paths: {
      ...documentedPaths(),
      "/auth/signup": {
        post: {
          summary: "Create an account and get a token",
          requestBody: { required: true, content: json(credentials, "input") },
          responses: {
            201: answer("Signed up.", tokenAnswer),
            ...errors([400, "`validation_failed` or `invalid_json`."], [409, "`email_taken`."]),
          },
        },
      },
      "/auth/login": {
        post: {
          summary: "Exchange email and password for a token",
          requestBody: { required: true, content: json(credentials, "input") },
          responses: {
            200: answer("Logged in.", tokenAnswer),
            ...errors(
              [400, "`validation_failed`."],
              [401, "`invalid_credentials` (unknown email or wrong password)."],
            ),
          },
        },
      },
      "/auth/me": {
        get: {
          summary: "The signed-in user",
          ...secured,
          responses: { 200: answer("The user.", user), ...authErrors },
        },
      },
      "/leads": {
        post: {
          summary: "Submit a lead; its workflow starts in the background",
          ...secured,
          requestBody: { required: true, content: json(leadInput, "input") },
          responses: {
            202: answer("Accepted; the workflow is pending.", leadDetail),
            ...errors(
              [400, "`validation_failed` or `invalid_json`."],
              [413, "`payload_too_large` (over 64 KiB)."],
            ),
            ...authErrors,
          },
        },
        get: {
          summary: "The caller's leads, newest first",
          ...secured,
          parameters: parameters(listQuery, "query"),
          responses: {
            200: answer(
              "A page.",
              z.object({ items: z.array(listItem), next_cursor: z.string().nullable() }),
            ),
            ...errors([400, "`validation_failed`."]),
            ...authErrors,
          },
        },
      },
      "/leads/{id}": {
        get: {
          summary: "A lead with its workflow and steps",
          ...secured,
          ...idParam,
          responses: { 200: answer("The lead.", leadDetail), ...authErrors, ...notFound },
        },
      },
      "/leads/{id}/attempts": {
        get: {
          summary: "Every model call of every step, oldest first",
          ...secured,
          ...idParam,
          responses: {
            200: answer("The attempts.", z.object({ items: z.array(attempt) })),
            ...authErrors,
            ...notFound,
          },
        },
      },
      "/leads/{id}/events": {
        get: {
          summary: "The workflow's history, oldest first",
          ...secured,
          ...idParam,
          responses: {
            200: answer("The events.", z.object({ items: z.array(event) })),
            ...authErrors,
            ...notFound,
          },
        },
      },
      "/leads/{id}/retry": {
        post: {
          summary: "Resume a failed workflow from its failed step",
          ...secured,
          ...idParam,
          responses: {
            202: answer("Resumed.", leadDetail),
            ...authErrors,
            ...notFound,
            ...errors(
              [
                409,
                "`not_failed`: the workflow is not failed; `retry_limit`: it has run WORKFLOW_MAX_RUNS times.",
              ],
              [429, "`rate_limited`: too many retries a minute (LEADS_RATE_LIMIT); see Retry-After."],
            ),
          },
        },
      },
      "/stats": {
        get: {
          summary: "The caller's leads, failures and step latency over a period (for the overview)",
          ...secured,
          parameters: parameters(statsQuery, "query"),
          responses: {
            200: answer("The aggregates.", stats),
            ...errors([400, "`validation_failed`."]),
            ...authErrors,
          },
        },
      },
      "/healthz": { get: { summary: "The process is up", responses: { 200: answer("Up.") } } },
      "/readyz": {
        get: {
          summary: "The deployment's dependencies answer: PostgreSQL, and Redis or the SQS queues",
          responses: { 200: answer("Ready.", readiness), 503: answer("A dependency is down.", readiness) },
        },
      },
    },
  };
}
