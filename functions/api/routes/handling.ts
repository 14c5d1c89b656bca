import { $, createRoute } from "@hono/zod-openapi";
import { correctLead } from "@leadflow/core/handling/corrections";
import { moveHandling } from "@leadflow/core/handling/handling";
import { correctionView, leadDetail } from "@leadflow/core/leads/views";
import { correctionInput, handlingMove } from "@leadflow/core/schemas/handling";
import { requireUser } from "../middleware/auth.ts";
import {
  errorAnswers,
  JSON_BODY_ERRORS,
  jsonAnswer,
  jsonBody,
  SIGNED_IN,
  SIGNED_IN_ERRORS,
} from "../responses.ts";
import { idParams, router } from "../router.ts";

const tags = ["handling"];
const refusals = errorAnswers(...JSON_BODY_ERRORS, ...SIGNED_IN_ERRORS, "not_found");

const move = createRoute({
  method: "post",
  path: "/{id}/handling",
  operationId: "moveLeadHandling",
  summary: "Move a lead to open, answered or closed; the first answer sets first_response_at",
  tags,
  ...SIGNED_IN,
  request: { params: idParams, body: jsonBody(handlingMove) },
  responses: { 200: jsonAnswer("The lead.", leadDetail), ...refusals },
});

const correct = createRoute({
  method: "post",
  path: "/{id}/corrections",
  operationId: "correctLead",
  summary: "Overrule the AI's category, queue, priority or SLA, with a reason",
  description:
    "Fields equal to their effective value are left out of `changes`; a correction that changes nothing, or " +
    "whose resulting SLA falls outside the resulting priority's window, is 400 `validation_failed`.",
  tags,
  ...SIGNED_IN,
  request: { params: idParams, body: jsonBody(correctionInput) },
  responses: { 201: jsonAnswer("The correction as stored.", correctionView), ...refusals },
});

/** A person's work on a lead: handling moves and routing corrections (mounted under /leads). */
export const handlingRoutes = $(router().use(requireUser))
  .openapi(move, async (c) => {
    const { id } = c.req.valid("param");
    const lead = await moveHandling(c.var.deps.database.db, c.var.userId, id, c.req.valid("json"));
    c.var.log.info({ lead_id: id, handling_state: lead.handling.state }, "handling moved");
    return c.json(lead, 200);
  })
  .openapi(correct, async (c) => {
    const { id } = c.req.valid("param");
    const correction = await correctLead(c.var.deps.database.db, c.var.userId, id, c.req.valid("json"));
    c.var.log.info({ lead_id: id, fields: Object.keys(correction.changes) }, "lead corrected");
    return c.json(correction, 201);
  });
