import { $, createRoute } from "@hono/zod-openapi";
import { createChannel, deleteChannel, listChannels, listDeliveries } from "@leadflow/core/channels/channels";
import { channelList, createdChannel, deliveryList } from "@leadflow/core/channels/views";
import { channelInput } from "@leadflow/core/schemas/channels";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
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

const tags = ["channels"];

const create = createRoute({
  method: "post",
  path: "/",
  operationId: "createChannel",
  summary: "Connect a channel (WhatsApp Cloud API, Postmark or Mailgun email, the web-chat widget)",
  tags,
  ...SIGNED_IN,
  request: { body: jsonBody(channelInput) },
  responses: {
    201: jsonAnswer(
      "Connected. A Postmark channel's generated password is `secret`, shown in this answer only.",
      createdChannel,
    ),
    ...errorAnswers(...JSON_BODY_ERRORS, ...SESSION_ONLY_ERRORS),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  operationId: "listChannels",
  summary: "The caller's channels, oldest first; secrets never appear",
  tags,
  ...SIGNED_IN,
  responses: { 200: jsonAnswer("The channels.", channelList), ...errorAnswers(...SESSION_ONLY_ERRORS) },
});

const remove = createRoute({
  method: "delete",
  path: "/{id}",
  operationId: "deleteChannel",
  summary: "Delete a channel: its inbound URL answers 404 from then on; its leads stay",
  tags,
  ...SIGNED_IN,
  request: { params: idParams },
  responses: { 204: { description: "Deleted." }, ...errorAnswers("not_found", ...SESSION_ONLY_ERRORS) },
});

const deliveries = createRoute({
  method: "get",
  path: "/{id}/deliveries",
  operationId: "listChannelDeliveries",
  summary: "A channel's 50 most recent deliveries, newest first",
  tags,
  ...SIGNED_IN,
  request: { params: idParams },
  responses: {
    200: jsonAnswer("The deliveries.", deliveryList),
    ...errorAnswers("not_found", ...SESSION_ONLY_ERRORS),
  },
});

const channelDeps = (c: Context<AppEnv>) => ({
  db: c.var.deps.database.db,
  secrets: c.var.deps.channelSecrets,
  publicApiUrl: c.var.deps.config.PUBLIC_API_URL,
});

/** Channel connections: a signed-in person connects, lists and deletes them (a key may not: 403). */
export const channelRoutes = $(router().use(requireSession))
  .openapi(create, async (c) => {
    const created = await createChannel(channelDeps(c), c.var.userId, c.req.valid("json"));
    c.var.log.info({ channel_id: created.id, channel_type: created.type }, "channel created");
    return c.json(created, 201);
  })
  .openapi(list, async (c) => c.json(await listChannels(channelDeps(c), c.var.userId), 200))
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await deleteChannel(c.var.deps.database.db, c.var.userId, id);
    c.var.log.info({ channel_id: id }, "channel deleted");
    return c.body(null, 204);
  })
  .openapi(deliveries, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await listDeliveries(c.var.deps.database.db, c.var.userId, id), 200);
  });
