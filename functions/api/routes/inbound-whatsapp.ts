import { createRoute } from "@hono/zod-openapi";
import { findInboundChannel } from "@leadflow/core/channels/channels";
import { matchesDigest } from "@leadflow/core/channels/secrets";
import { verifyWhatsAppSignature, whatsAppLeads, whatsAppPayload } from "@leadflow/core/channels/whatsapp";
import { DomainError } from "@leadflow/core/errors";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import {
  inboundBodyLimit,
  jsonOrRefuse,
  payloadOrRefuse,
  receiveAtChannel,
  refuse,
  submitDelivery,
} from "../inbound.ts";
import { errorAnswers, PUBLIC } from "../responses.ts";
import { channelIdParams, router } from "../router.ts";

async function whatsAppChannel(db: Parameters<typeof findInboundChannel>[0], channelId: string) {
  const channel = await findInboundChannel(db, "whatsapp", { id: channelId });
  if (!channel) throw new DomainError("not_found", "No such channel.");
  return channel;
}

const tags = ["inbound"];

const handshake = createRoute({
  method: "get",
  path: "/{channelId}",
  operationId: "verifyWhatsAppWebhook",
  summary: "WhatsApp's webhook verification: echoes hub.challenge when hub.verify_token is the channel's",
  tags,
  ...PUBLIC,
  request: {
    params: channelIdParams,
    query: z.object({
      "hub.mode": z.string().optional(),
      "hub.verify_token": z.string().optional(),
      "hub.challenge": z.string().optional(),
    }),
  },
  responses: {
    200: { description: "The challenge itself.", content: { "text/plain": { schema: z.string() } } },
    ...errorAnswers("forbidden", "not_found", "validation_failed", "service_unavailable"),
  },
});

const notify = createRoute({
  method: "post",
  path: "/{channelId}",
  operationId: "receiveWhatsAppNotification",
  summary: "WhatsApp Cloud API notifications: each message becomes a lead; statuses are acknowledged",
  tags,
  ...PUBLIC,
  description:
    "Needs `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, raw body)>`. The wamid is the lead's " +
    "idempotency key, so a redelivery makes no second lead. Answers at once; the AI runs later. The body is " +
    "read as raw bytes (the signature is over them), so it has no JSON schema here.",
  middleware: [inboundBodyLimit] as const,
  request: { params: channelIdParams },
  responses: {
    200: { description: "Received (and stored as a delivery, whatever became of it)." },
    ...errorAnswers(
      "invalid_json",
      "validation_failed",
      "invalid_signature",
      "not_found",
      "payload_too_large",
      "service_unavailable",
    ),
  },
});

export const whatsAppRoutes = router()
  .openapi(handshake, async (c) => {
    const channel = await whatsAppChannel(c.var.deps.database.db, c.req.valid("param").channelId);
    const query = c.req.valid("query");
    const challenge = query["hub.challenge"];
    if (
      query["hub.mode"] !== "subscribe" ||
      challenge === undefined ||
      !matchesDigest(query["hub.verify_token"] ?? "", channel.verifyTokenDigest)
    ) {
      throw new ApiError("forbidden", "The verify token does not match this channel.");
    }
    return c.text(challenge, 200);
  })
  .openapi(notify, async (c) => {
    const { channel, body, deliveryId } = await receiveAtChannel(
      c,
      "whatsapp",
      c.req.valid("param").channelId,
    );
    const appSecret = c.var.deps.channelSecrets.open(channel.sealedSecret!);
    if (!verifyWhatsAppSignature(appSecret, body, c.req.header("x-hub-signature-256"))) {
      await refuse(
        c,
        channel,
        deliveryId,
        { outcome: "rejected", error: "missing or wrong X-Hub-Signature-256" },
        new ApiError("invalid_signature", "X-Hub-Signature-256 does not match the body."),
      );
    }
    const json = await jsonOrRefuse(c, channel, deliveryId, body);
    const payload = await payloadOrRefuse(
      c,
      channel,
      deliveryId,
      whatsAppPayload,
      json,
      "a WhatsApp notification",
    );
    await submitDelivery(c, channel, deliveryId, whatsAppLeads(payload));
    return c.body(null, 200);
  });
