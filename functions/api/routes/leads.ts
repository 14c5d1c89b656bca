import { $, createRoute } from "@hono/zod-openapi";
import { getLead, listAttempts, listEvents, listLeads } from "@leadflow/core/leads/queries";
import { submitLeadIdempotently } from "@leadflow/core/leads/submit";
import { attemptList, eventList, leadDetail, leadPage } from "@leadflow/core/leads/views";
import { category } from "@leadflow/core/schemas/classification";
import { leadInput } from "@leadflow/core/schemas/lead";
import { priority, routingQueue } from "@leadflow/core/schemas/routing";
import { workflowStatus } from "@leadflow/core/schemas/workflow";
import { resumeWorkflow } from "@leadflow/core/workflow/resume";
import { z } from "zod";
import { requireUser } from "../middleware/auth.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import {
  errorAnswers,
  JSON_BODY_ERRORS,
  jsonAnswer,
  jsonBody,
  SIGNED_IN,
  SIGNED_IN_ERRORS,
} from "../responses.ts";
import { idParams, router } from "../router.ts";

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  status: workflowStatus.optional(),
  category: category.optional(),
  queue: routingQueue.optional(),
  priority: priority.optional(),
});

/**
 * Webhook senders retry; the key makes their retries safe. Printable ASCII, as in the IETF draft's examples.
 * Lower-case, as Hono hands headers to the validator, so a bad key's `details` path reads `idempotency-key`.
 */
const idempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, "must be 1 to 255 printable ASCII characters")
    .optional()
    .describe("The same key from the same user within 24 h answers 200 with the first lead."),
});

/**
 * Work that starts model calls (a submission, a retry) is limited per caller, each kind on its own count: a person
 * by their user, a machine client by its API key, so one busy integration does not starve its owner's others.
 */
const perUserLimit = (name: string) =>
  rateLimit(
    name,
    (c) => c.var.deps.config.LEADS_RATE_LIMIT,
    (c) => [c.var.apiKeyId ? `key:${c.var.apiKeyId}` : `user:${c.var.userId}`],
  );

const tags = ["leads"];

const submit = createRoute({
  method: "post",
  path: "/",
  operationId: "submitLead",
  summary: "Submit a lead; its workflow starts in the background",
  tags,
  ...SIGNED_IN,
  middleware: [perUserLimit("leads")],
  request: { headers: idempotencyHeader, body: jsonBody(leadInput) },
  responses: {
    202: jsonAnswer("Accepted; the workflow is pending.", leadDetail),
    200: jsonAnswer("A repeat of an Idempotency-Key: the first lead, no second workflow.", leadDetail),
    ...errorAnswers(...JSON_BODY_ERRORS, ...SIGNED_IN_ERRORS, "idempotency_conflict", "rate_limited"),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  operationId: "listLeads",
  summary: "The caller's leads, newest first",
  tags,
  ...SIGNED_IN,
  request: { query: listQuery },
  responses: {
    200: jsonAnswer("A page.", leadPage),
    ...errorAnswers("validation_failed", ...SIGNED_IN_ERRORS),
  },
});

/** A read of one of the caller's leads by id. */
const leadRead = (
  path: string,
  operationId: string,
  summary: string,
  answer: ReturnType<typeof jsonAnswer>,
) =>
  createRoute({
    method: "get",
    path,
    operationId,
    summary,
    tags,
    ...SIGNED_IN,
    request: { params: idParams },
    responses: { 200: answer, ...errorAnswers("not_found", ...SIGNED_IN_ERRORS) },
  });

const detail = leadRead(
  "/{id}",
  "getLead",
  "A lead with its workflow and steps",
  jsonAnswer("The lead.", leadDetail),
);
const attempts = leadRead(
  "/{id}/attempts",
  "listLeadAttempts",
  "Every model call of every step, oldest first",
  jsonAnswer("The attempts.", attemptList),
);
const events = leadRead(
  "/{id}/events",
  "listLeadEvents",
  "The workflow's history, oldest first",
  jsonAnswer("The events.", eventList),
);

const retry = createRoute({
  method: "post",
  path: "/{id}/retry",
  operationId: "retryLead",
  summary: "Resume a failed workflow from its failed step",
  tags,
  ...SIGNED_IN,
  middleware: [perUserLimit("retries")],
  request: { params: idParams },
  responses: {
    202: jsonAnswer("Resumed.", leadDetail),
    ...errorAnswers("not_found", "not_failed", "retry_limit", "rate_limited", ...SIGNED_IN_ERRORS),
  },
});

export const leadRoutes = $(router().use(requireUser))
  .openapi(submit, async (c) => {
    const { db } = c.var.deps.database;
    const { lead, replayed } = await submitLeadIdempotently(
      {
        db,
        queue: c.var.deps.queue,
        onEnqueueFailure: (err, workflowId) =>
          c.var.log.warn(
            { err, workflow_id: workflowId },
            "enqueue failed; the reconciler will start this workflow",
          ),
      },
      c.var.userId,
      c.req.valid("json"),
      c.req.valid("header")["idempotency-key"] ?? null,
    );
    c.var.log.info({ lead_id: lead.id, workflow_id: lead.workflow.id, replayed }, "lead accepted");
    c.var.deps.metrics.leadsAccepted.inc({ replayed: String(replayed) });
    return replayed ? c.json(lead, 200) : c.json(lead, 202);
  })
  .openapi(list, async (c) =>
    c.json(await listLeads(c.var.deps.database.db, c.var.userId, c.req.valid("query")), 200),
  )
  .openapi(detail, async (c) =>
    c.json(await getLead(c.var.deps.database.db, c.var.userId, c.req.valid("param").id), 200),
  )
  .openapi(attempts, async (c) =>
    c.json(await listAttempts(c.var.deps.database.db, c.var.userId, c.req.valid("param").id), 200),
  )
  .openapi(events, async (c) =>
    c.json(await listEvents(c.var.deps.database.db, c.var.userId, c.req.valid("param").id), 200),
  )
  .openapi(retry, async (c) => {
    const { db } = c.var.deps.database;
    const id = c.req.valid("param").id;
    const { config, queue } = c.var.deps;
    await resumeWorkflow({ db, queue, maxRuns: config.WORKFLOW_MAX_RUNS }, c.var.userId, id);
    c.var.log.info({ lead_id: id }, "workflow resumed");
    return c.json(await getLead(db, c.var.userId, id), 202);
  });
