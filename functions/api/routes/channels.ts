import { createRoute, z } from "@hono/zod-openapi";
import { createChannel, deleteChannel, listChannels, listDeliveries } from "@leadflow/core/channels/channels";
import { DomainError } from "@leadflow/core/errors";
import { CHANNEL_TYPES, channelInput, DELIVERY_OUTCOMES } from "@leadflow/core/schemas/channels";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { requireSession } from "../middleware/auth.ts";
import { bearerSecurity, errorAnswers, isUuid, json, openApiRouter } from "../openapi-router.ts";

const channel = z
  .object({
    id: z.uuid(),
    type: z.enum(CHANNEL_TYPES),
    name: z.string(),
    inbound_url: z.url().describe("where the provider posts (absolute, from PUBLIC_API_URL)"),
    settings: z
      .record(z.string(), z.unknown())
      .describe(
        "what may be shown again: `provider` for email, `allowed_origins` for web chat; never a secret",
      ),
    public_key: z.string().optional().describe("web chat only: `lfpk_…`, safe to put in a page"),
    created_at: z.iso.datetime(),
  })
  .openapi("Channel");

const delivery = z
  .object({
    id: z.uuid(),
    received_at: z.iso.datetime(),
    outcome: z.enum(DELIVERY_OUTCOMES).nullable().describe("null only while the delivery is being handled"),
    lead_ids: z.array(z.uuid()),
    error: z.string().nullable(),
  })
  .openapi("ChannelDelivery");

const channelParams = z.object({ id: z.string() });

const sessionErrors = errorAnswers({
  401: "Missing, invalid or expired token (`unauthorized`).",
  403: "`forbidden`: an API key cannot manage channels.",
});
const notFound = errorAnswers({
  404: "Not the caller's channel, deleted, or no such channel (`not_found`).",
});

const create = createRoute({
  method: "post",
  path: "/channels",
  summary: "Connect a channel (WhatsApp Cloud API, Postmark or Mailgun email, the web-chat widget)",
  security: bearerSecurity,
  middleware: [requireSession] as const,
  request: { body: { required: true, content: json(channelInput) } },
  responses: {
    201: {
      description:
        "Connected. A Postmark channel's generated password is `secret`, shown in this answer only.",
      content: json(channel.extend({ secret: z.string().optional() })),
    },
    ...errorAnswers({ 400: "`validation_failed` or `invalid_json`." }),
    ...sessionErrors,
  },
});

const list = createRoute({
  method: "get",
  path: "/channels",
  summary: "The caller's channels, oldest first; secrets never appear",
  security: bearerSecurity,
  middleware: [requireSession] as const,
  responses: {
    200: { description: "The channels.", content: json(z.object({ items: z.array(channel) })) },
    ...sessionErrors,
  },
});

const remove = createRoute({
  method: "delete",
  path: "/channels/{id}",
  summary: "Delete a channel: its inbound URL answers 404 from then on; its leads stay",
  security: bearerSecurity,
  middleware: [requireSession] as const,
  request: { params: channelParams },
  responses: { 204: { description: "Deleted." }, ...notFound, ...sessionErrors },
});

const deliveries = createRoute({
  method: "get",
  path: "/channels/{id}/deliveries",
  summary: "A channel's 50 most recent deliveries, newest first",
  security: bearerSecurity,
  middleware: [requireSession] as const,
  request: { params: channelParams },
  responses: {
    200: { description: "The deliveries.", content: json(z.object({ items: z.array(delivery) })) },
    ...notFound,
    ...sessionErrors,
  },
});

/** An id that is not a uuid names none of the caller's channels: the same 404 as another user's. */
function channelId(id: string): string {
  if (!isUuid(id)) throw new DomainError("not_found", "No such channel.");
  return id;
}

const channelDeps = (c: Context<AppEnv>) => ({
  db: c.var.deps.database.db,
  secrets: c.var.deps.channelSecrets,
  publicApiUrl: c.var.deps.config.PUBLIC_API_URL,
});

/** Channel connections: a signed-in person connects, lists and deletes them (a key may not: 403). */
export const channelRoutes = openApiRouter()
  .openapi(create, async (c) => {
    const created = await createChannel(channelDeps(c), c.var.userId, c.req.valid("json"));
    c.var.log.info({ channel_id: created.id, channel_type: created.type }, "channel created");
    return c.json(created, 201);
  })
  .openapi(list, async (c) => c.json(await listChannels(channelDeps(c), c.var.userId), 200))
  .openapi(remove, async (c) => {
    const id = channelId(c.req.valid("param").id);
    await deleteChannel(c.var.deps.database.db, c.var.userId, id);
    c.var.log.info({ channel_id: id }, "channel deleted");
    return c.body(null, 204);
  })
  .openapi(deliveries, async (c) => {
    const id = channelId(c.req.valid("param").id);
    return c.json(await listDeliveries(c.var.deps.database.db, c.var.userId, id), 200);
  });
