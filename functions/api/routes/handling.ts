import { createRoute } from "@hono/zod-openapi";
import { correctLead } from "@leadflow/core/handling/corrections";
import { moveHandling } from "@leadflow/core/handling/handling";
import { correctionInput, handlingMove, handlingState } from "@leadflow/core/schemas/handling";
import { z } from "zod";
import { requireUser } from "../middleware/auth.ts";
import {
  errorAnswers,
  idParams,
  jsonAnswer,
  jsonBody,
  openApiRouter,
  securedRoute,
} from "./openapi-router.ts";

const correctionAnswer = z.object({
  id: z.uuid(),
  changes: z.record(
    z.string(),
    z.object({ from: z.union([z.string(), z.number()]).nullable(), to: z.union([z.string(), z.number()]) }),
  ),
  reason: z.string(),
  created_at: z.iso.datetime(),
});
/** The lead as GET /leads/:id shows it; the parts this capability adds are spelled out. */
const leadAnswer = z.object({
  id: z.uuid(),
  effective: z.object({
    category: z.string().nullable(),
    queue: z.string().nullable(),
    priority: z.string().nullable(),
    sla_minutes: z.number().int().nullable(),
    due_at: z.iso.datetime().nullable(),
    corrected: z.boolean(),
  }),
  corrections: z.array(correctionAnswer),
  handling: z.object({
    state: handlingState,
    first_response_at: z.iso.datetime().nullable(),
    updated_at: z.iso.datetime(),
  }),
});
const commonErrors = errorAnswers(
  [400, "`validation_failed` or `invalid_json`."],
  [401, "`unauthorized`."],
  [404, "Not the caller's lead (`not_found`)."],
);

const moveRoute = createRoute({
  method: "post",
  path: "/{id}/handling",
  summary: "Move a lead to open, answered or closed; the first answer sets first_response_at",
  ...securedRoute,
  request: { params: idParams, body: jsonBody(handlingMove) },
  responses: { 200: jsonAnswer("The lead.", leadAnswer), ...commonErrors },
});

const correctRoute = createRoute({
  method: "post",
  path: "/{id}/corrections",
  summary: "Overrule the AI's category, queue, priority or SLA, with a reason",
  description:
    "Fields equal to their effective value are left out of `changes`; a correction that changes nothing, or " +
    "whose resulting SLA falls outside the resulting priority's window, is 400 `validation_failed`.",
  ...securedRoute,
  request: { params: idParams, body: jsonBody(correctionInput) },
  responses: { 201: jsonAnswer("The correction as stored.", correctionAnswer), ...commonErrors },
});

/** A person's work on a lead: handling moves and routing corrections (mounted under /leads). */
export const handlingRoutes = openApiRouter();
handlingRoutes.use(requireUser);
handlingRoutes
  .openapi(moveRoute, async (c) => {
    const { id } = c.req.valid("param");
    const lead = await moveHandling(c.var.deps.database.db, c.var.userId, id, c.req.valid("json"));
    c.var.log.info({ lead_id: id, handling_state: lead.handling.state }, "handling moved");
    return c.json(lead, 200);
  })
  .openapi(correctRoute, async (c) => {
    const { id } = c.req.valid("param");
    const correction = await correctLead(c.var.deps.database.db, c.var.userId, id, c.req.valid("json"));
    c.var.log.info({ lead_id: id, fields: Object.keys(correction.changes) }, "lead corrected");
    return c.json(correction, 201);
  });
