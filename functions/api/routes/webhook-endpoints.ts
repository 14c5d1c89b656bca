import { createRoute } from "@hono/zod-openapi";
import { WEBHOOK_EVENTS, webhookEndpointInput } from "@leadflow/core/schemas/webhooks";
import {
  createEndpoint,
  deleteEndpoint,
  listDeliveries,
  listEndpoints,
  resendDelivery,
  sendPing,
} from "@leadflow/core/webhooks/endpoints";
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

const endpoint = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  status: z.enum(["active", "disabled"]),
  created_at: z.iso.datetime(),
});
const delivery = z.object({
  id: z.uuid(),
  event: z.string(),
  lead_id: z.uuid().nullable(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  next_attempt_at: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
});
const queued = z.object({ delivery_id: z.uuid() });
const unauthorized = errorAnswers([401, "`unauthorized`."]);
const notFound = errorAnswers([404, "Not the caller's endpoint (`not_found`)."]);

const routes = {
  create: createRoute({
    method: "post",
    path: "/",
    summary: "Register an endpoint for outbound events; the answer shows its signing secret, once",
    ...securedRoute,
    request: { body: jsonBody(webhookEndpointInput) },
    responses: {
      201: jsonAnswer("Registered.", endpoint.extend({ secret: z.string().startsWith("whsec_") })),
      ...errorAnswers([
        400,
        "`validation_failed` (the URL must be https and must not resolve to a loopback, private or link-local address, unless WEBHOOK_ALLOW_PRIVATE) or `invalid_json`.",
      ]),
      ...unauthorized,
    },
  }),
  list: createRoute({
    method: "get",
    path: "/",
    summary: "The caller's endpoints (never their secrets)",
    ...securedRoute,
    responses: { 200: jsonAnswer("The endpoints.", z.object({ items: z.array(endpoint) })), ...unauthorized },
  }),
  remove: createRoute({
    method: "delete",
    path: "/{id}",
    summary: "Delete an endpoint and its deliveries",
    ...securedRoute,
    request: { params: idParams },
    responses: { 204: { description: "Deleted." }, ...unauthorized, ...notFound },
  }),
  deliveries: createRoute({
    method: "get",
    path: "/{id}/deliveries",
    summary: "The endpoint's 50 most recent deliveries, newest first",
    ...securedRoute,
    request: { params: idParams },
    responses: {
      200: jsonAnswer("The deliveries.", z.object({ items: z.array(delivery) })),
      ...unauthorized,
      ...notFound,
    },
  }),
  test: createRoute({
    method: "post",
    path: "/{id}/test",
    summary: "Send a `ping` event (data: {endpoint_id})",
    ...securedRoute,
    request: { params: idParams },
    responses: { 202: jsonAnswer("Queued.", queued), ...unauthorized, ...notFound },
  }),
  resend: createRoute({
    method: "post",
    path: "/{id}/deliveries/{deliveryId}/resend",
    summary:
      "Send a delivery again from its first try (same webhook-id and body); re-activates a disabled endpoint",
    ...securedRoute,
    request: { params: idParams.extend({ deliveryId: z.uuid() }) },
    responses: { 202: jsonAnswer("Queued.", queued), ...unauthorized, ...notFound },
  }),
};

/** Outbound webhook endpoints: registration, the deliveries log, a test ping and resends. */
export const webhookEndpointRoutes = openApiRouter();
webhookEndpointRoutes.use(requireUser);
webhookEndpointRoutes
  .openapi(routes.create, async (c) => {
    const { db } = c.var.deps.database;
    const allowPrivate = c.var.deps.config.WEBHOOK_ALLOW_PRIVATE === "true";
    const created = await createEndpoint(db, c.var.userId, c.req.valid("json"), { allowPrivate });
    c.var.log.info({ endpoint_id: created.id }, "webhook endpoint created");
    return c.json(created, 201);
  })
  .openapi(routes.list, async (c) => c.json(await listEndpoints(c.var.deps.database.db, c.var.userId), 200))
  .openapi(routes.remove, async (c) => {
    await deleteEndpoint(c.var.deps.database.db, c.var.userId, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(routes.deliveries, async (c) =>
    c.json(await listDeliveries(c.var.deps.database.db, c.var.userId, c.req.valid("param").id), 200),
  )
  .openapi(routes.test, async (c) =>
    c.json(await sendPing(c.var.deps.database.db, c.var.userId, c.req.valid("param").id), 202),
  )
  .openapi(routes.resend, async (c) => {
    const { id, deliveryId } = c.req.valid("param");
    return c.json(await resendDelivery(c.var.deps.database.db, c.var.userId, id, deliveryId), 202);
  });
