import { createRoute } from "@hono/zod-openapi";
import { listInbox } from "@leadflow/core/handling/inbox";
import { handlingState } from "@leadflow/core/schemas/handling";
import { QUEUES } from "@leadflow/core/schemas/routing";
import { workflowStatus } from "@leadflow/core/schemas/workflow";
import { z } from "zod";
import { requireUser } from "../middleware/auth.ts";
import { errorAnswers, jsonAnswer, openApiRouter, securedRoute } from "./openapi-router.ts";

export const inboxQuery = z.strictObject({
  queue: z
    .enum([...QUEUES, "failed"])
    .optional()
    .describe("a routing queue, or `failed`: failed workflows nobody has routed by hand"),
  state: handlingState.default("open"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

const inboxItem = z.object({
  id: z.uuid(),
  name: z.string(),
  contact_channel: z.string(),
  created_at: z.iso.datetime(),
  category: z.string().nullable(),
  queue: z.string().nullable(),
  priority: z.string().nullable(),
  sla_minutes: z.number().int().nullable(),
  due_at: z.iso.datetime(),
  breached: z.boolean(),
  state: handlingState,
  corrected: z.boolean(),
  workflow_status: workflowStatus.or(z.string()),
});

const inboxRoute = createRoute({
  method: "get",
  path: "/",
  summary: "The caller's leads in one handling state, most urgent first (due_at, then priority)",
  ...securedRoute,
  request: { query: inboxQuery },
  responses: {
    200: jsonAnswer("A page.", z.object({ items: z.array(inboxItem), next_cursor: z.string().nullable() })),
    ...errorAnswers([400, "`validation_failed`."], [401, "`unauthorized`."]),
  },
});

export const inboxRoutes = openApiRouter();
inboxRoutes.use(requireUser);
inboxRoutes.openapi(inboxRoute, async (c) =>
  c.json(await listInbox(c.var.deps.database.db, c.var.userId, c.req.valid("query")), 200),
);
