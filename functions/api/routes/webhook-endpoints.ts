import { $, createRoute } from "@hono/zod-openapi";
import { webhookEndpointInput } from "@leadflow/core/schemas/webhooks";
import {
  createEndpoint,
  deleteEndpoint,
  listDeliveries,
  listEndpoints,
  resendDelivery,
  sendPing,
} from "@leadflow/core/webhooks/endpoints";
import {
  createdWebhookEndpoint,
  queuedDelivery,
  webhookDeliveryView,
  webhookEndpointView,
} from "@leadflow/core/webhooks/views";
import { z } from "zod";
import { requireSession } from "../middleware/auth.ts";
import {
  errorAnswers,
  JSON_BODY_ERRORS,
  jsonAnswer,
  jsonBody,
  SESSION_ONLY_ERRORS,
  SIGNED_IN,
} from "../responses.ts";
import { idParams, router } from "../router.ts";

const tags = ["webhooks"];
const ownEndpoint = { ...SIGNED_IN, tags, request: { params: idParams } };
const notTheirs = errorAnswers("not_found", ...SESSION_ONLY_ERRORS);

const create = createRoute({
  method: "post",
  path: "/",
  operationId: "createWebhookEndpoint",
  summary: "Register an endpoint for outbound events; the answer shows its signing secret, once",
  description:
    "The URL must be https and must not resolve to a loopback, private or link-local address (unless the " +
    "deployment sets WEBHOOK_ALLOW_PRIVATE); otherwise 400 `validation_failed`.",
  tags,
  ...SIGNED_IN,
  request: { body: jsonBody(webhookEndpointInput) },
  responses: {
    201: jsonAnswer("Registered.", createdWebhookEndpoint),
    ...errorAnswers(...JSON_BODY_ERRORS, ...SESSION_ONLY_ERRORS),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  operationId: "listWebhookEndpoints",
  summary: "The caller's endpoints (never their secrets)",
  tags,
  ...SIGNED_IN,
  responses: {
    200: jsonAnswer("The endpoints.", z.object({ items: z.array(webhookEndpointView) })),
    ...errorAnswers(...SESSION_ONLY_ERRORS),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/{id}",
  operationId: "deleteWebhookEndpoint",
  summary: "Delete an endpoint and its deliveries",
  ...ownEndpoint,
  responses: { 204: { description: "Deleted." }, ...notTheirs },
});

const deliveries = createRoute({
  method: "get",
  path: "/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  summary: "The endpoint's 50 most recent deliveries, newest first",
  ...ownEndpoint,
  responses: {
    200: jsonAnswer("The deliveries.", z.object({ items: z.array(webhookDeliveryView) })),
    ...notTheirs,
  },
});

const ping = createRoute({
  method: "post",
  path: "/{id}/test",
  operationId: "pingWebhookEndpoint",
  summary: "Send a `ping` event (data: {endpoint_id})",
  ...ownEndpoint,
  responses: { 202: jsonAnswer("Queued.", queuedDelivery), ...notTheirs },
});

const resend = createRoute({
  method: "post",
  path: "/{id}/deliveries/{deliveryId}/resend",
  operationId: "resendWebhookDelivery",
  summary:
    "Send a delivery again from its first try (same webhook-id and body); re-activates a disabled endpoint",
  ...ownEndpoint,
  request: { params: idParams.extend({ deliveryId: z.uuid() }) },
  responses: { 202: jsonAnswer("Queued.", queuedDelivery), ...notTheirs },
});

/** Outbound webhook endpoints: registration, the deliveries log, a test ping and resends. */
export const webhookEndpointRoutes = $(router().use(requireSession))
  .openapi(create, async (c) => {
    const { db } = c.var.deps.database;
    const allowPrivate = c.var.deps.config.WEBHOOK_ALLOW_PRIVATE === "true";
    const created = await createEndpoint(db, c.var.userId, c.req.valid("json"), { allowPrivate });
    c.var.log.info({ endpoint_id: created.id }, "webhook endpoint created");
    return c.json(created, 201);
  })
  .openapi(list, async (c) => c.json(await listEndpoints(c.var.deps.database.db, c.var.userId), 200))
  .openapi(remove, async (c) => {
    await deleteEndpoint(c.var.deps.database.db, c.var.userId, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(deliveries, async (c) =>
    c.json(await listDeliveries(c.var.deps.database.db, c.var.userId, c.req.valid("param").id), 200),
  )
  .openapi(ping, async (c) =>
    c.json(await sendPing(c.var.deps.database.db, c.var.userId, c.req.valid("param").id), 202),
  )
  .openapi(resend, async (c) => {
    const { id, deliveryId } = c.req.valid("param");
    return c.json(await resendDelivery(c.var.deps.database.db, c.var.userId, id, deliveryId), 202);
  });
