import { zValidator } from "@hono/zod-validator";
import { getLead, listAttempts, listEvents, listLeads } from "@leadflow/core/leads/queries";
import { submitLeadOnce } from "@leadflow/core/leads/submit";
import { category } from "@leadflow/core/schemas/classification";
import { leadInput } from "@leadflow/core/schemas/lead";
import { priority, routingQueue } from "@leadflow/core/schemas/routing";
import { workflowStatus } from "@leadflow/core/schemas/workflow";
import { resumeWorkflow } from "@leadflow/core/workflow/resume";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { errorResponse } from "../errors.ts";
import { requireUser } from "../middleware/auth.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import { validate } from "../validation.ts";

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  status: workflowStatus.optional(),
  category: category.optional(),
  queue: routingQueue.optional(),
  priority: priority.optional(),
});

/** Webhook senders retry; the key makes their retries safe. Printable ASCII, as in the IETF draft's examples. */
export const idempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, "must be 1 to 255 printable ASCII characters")
    .optional(),
});

export const leadParams = z.object({ id: z.uuid() });

/** An id that is not a uuid names no lead of the caller's: the same 404 as any other lead they cannot see. */
const leadId = zValidator("param", leadParams, (result, c) => {
  if (!result.success) return errorResponse(c, "not_found", "No such lead.");
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

export const leadRoutes = new Hono<AppEnv>()
  .use(requireUser)
  .post(
    "/",
    perUserLimit("leads"),
    validate("header", idempotencyHeader),
    validate("json", leadInput),
    async (c) => {
      const { db } = c.var.deps.database;
      const { lead, replayed } = await submitLeadOnce(
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
      return c.json(lead, replayed ? 200 : 202);
    },
  )
  .get("/", validate("query", listQuery), async (c) => {
    return c.json(await listLeads(c.var.deps.database.db, c.var.userId, c.req.valid("query")));
  })
  .get("/:id", leadId, async (c) => {
    return c.json(await getLead(c.var.deps.database.db, c.var.userId, c.req.valid("param").id));
  })
  .get("/:id/attempts", leadId, async (c) => {
    return c.json(await listAttempts(c.var.deps.database.db, c.var.userId, c.req.valid("param").id));
  })
  .get("/:id/events", leadId, async (c) => {
    return c.json(await listEvents(c.var.deps.database.db, c.var.userId, c.req.valid("param").id));
  })
  .post("/:id/retry", perUserLimit("retries"), leadId, async (c) => {
    const { db } = c.var.deps.database;
    const id = c.req.valid("param").id;
    const { config, queue } = c.var.deps;
    await resumeWorkflow({ db, queue, maxRuns: config.WORKFLOW_MAX_RUNS }, c.var.userId, id);
    c.var.log.info({ lead_id: id }, "workflow resumed");
    return c.json(await getLead(db, c.var.userId, id), 202);
  });
