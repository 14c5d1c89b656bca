import { $, createRoute } from "@hono/zod-openapi";
import { listInbox } from "@leadflow/core/handling/inbox";
import { inboxPage } from "@leadflow/core/leads/views";
import { handlingState } from "@leadflow/core/schemas/handling";
import { QUEUES } from "@leadflow/core/schemas/routing";
import { z } from "zod";
import { requireUser } from "../middleware/auth.ts";
import { errorAnswers, jsonAnswer, SIGNED_IN, SIGNED_IN_ERRORS } from "../responses.ts";
import { router } from "../router.ts";

const inboxQuery = z.strictObject({
  queue: z
    .enum([...QUEUES, "failed"])
    .optional()
    .describe("a routing queue, or `failed`: failed workflows nobody has routed by hand"),
  state: handlingState.default("open"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

const inbox = createRoute({
  method: "get",
  path: "/",
  operationId: "listInbox",
  summary: "The caller's leads in one handling state, most urgent first (due_at, then priority)",
  tags: ["handling"],
  ...SIGNED_IN,
  request: { query: inboxQuery },
  responses: {
    200: jsonAnswer("A page.", inboxPage),
    ...errorAnswers("validation_failed", ...SIGNED_IN_ERRORS),
  },
});

export const inboxRoutes = $(router().use(requireUser)).openapi(inbox, async (c) =>
  c.json(await listInbox(c.var.deps.database.db, c.var.userId, c.req.valid("query")), 200),
);
