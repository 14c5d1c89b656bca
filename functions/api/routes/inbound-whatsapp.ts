import { createRoute, z } from "@hono/zod-openapi";
import { findInboundChannel } from "@leadflow/core/channels/channels";
import { matchesDigest } from "@leadflow/core/channels/secrets";
import { verifyWhatsAppSignature, whatsAppLeads, whatsAppPayload } from "@leadflow/core/channels/whatsapp";
import { DomainError } from "@leadflow/core/errors";
import { errorResponse, zodDetails } from "../errors.ts";
import { inboundBodyLimit, parseJson, receiveDelivery, settle, submitDelivery } from "../inbound.ts";
import { errorAnswers, isUuid, openApiRouter } from "../openapi-router.ts";

const channelParams = z.object({ channelId: z.string() });

async function whatsAppChannel(db: Parameters<typeof findInboundChannel>[0], channelId: string) {
  const channel = isUuid(channelId) ? await findInboundChannel(db, "whatsapp", { id: channelId }) : null;
  if (!channel) throw new DomainError("not_found", "No such channel.");
  return channel;
}

const handshake = createRoute({
  method: "get",
  path: "/inbound/whatsapp/{channelId}",
  summary: "WhatsApp's webhook verification: echoes hub.challenge when hub.verify_token is the channel's",
  request: {
    params: channelParams,
    query: z.object({
      "hub.mode": z.string().optional(),
      "hub.verify_token": z.string().optional(),
      "hub.challenge": z.string().optional(),
    }),
  },
  responses: {
    // No content schema: the route also answers in the error envelope, which a typed text answer would refuse.
    200: { description: "The challenge itself, as text/plain." },
    ...errorAnswers({
      403: "`forbidden`: wrong verify token or mode.",
      404: "`not_found`: no such channel.",
    }),
  },
});

const notify = createRoute({
  method: "post",
  path: "/inbound/whatsapp/{channelId}",
  summary: "WhatsApp Cloud API notifications: each message becomes a lead; statuses are acknowledged",
  description:
    "Needs `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, raw body)>`. The wamid is the lead's " +
    "idempotency key, so a redelivery makes no second lead. Answers at once; the AI runs later.",
  middleware: [inboundBodyLimit] as const,
  request: { params: channelParams },
  responses: {
    200: { description: "Received (and stored as a delivery, whatever became of it)." },
    ...errorAnswers({
      400: "`invalid_json` or `validation_failed`: not a WhatsApp notification (stored as `invalid`).",
      401: "`invalid_signature`: missing or wrong X-Hub-Signature-256 (stored as `rejected`); nothing is made.",
      404: "`not_found`: no such channel, or it was deleted.",
      413: "`payload_too_large`: over 1 MiB.",
    }),
  },
});

export const whatsAppRoutes = openApiRouter()
  .openapi(handshake, async (c) => {
    const channel = await whatsAppChannel(c.var.deps.database.db, c.req.valid("param").channelId);
    const query = c.req.valid("query");
    const challenge = query["hub.challenge"];
    if (
      query["hub.mode"] !== "subscribe" ||
      challenge === undefined ||
      !matchesDigest(query["hub.verify_token"] ?? "", channel.verifyTokenDigest)
    ) {
      return errorResponse(c, "forbidden", "The verify token does not match this channel.");
    }
    return c.text(challenge, 200);
  })
  .openapi(notify, async (c) => {
    const channel = await whatsAppChannel(c.var.deps.database.db, c.req.valid("param").channelId);
    const { body, deliveryId } = await receiveDelivery(c, channel);
    const appSecret = c.var.deps.channelSecrets.open(channel.sealedSecret!);
    if (!verifyWhatsAppSignature(appSecret, body, c.req.header("x-hub-signature-256"))) {
      await settle(c, channel, deliveryId, {
        outcome: "rejected",
        error: "missing or wrong X-Hub-Signature-256",
      });
      return errorResponse(c, "invalid_signature", "X-Hub-Signature-256 does not match the body.");
    }
    const json = parseJson(body);
    if (json === undefined) {
      await settle(c, channel, deliveryId, { outcome: "invalid", error: "the body is not JSON" });
      return errorResponse(c, "invalid_json", "The request body is not valid JSON.");
    }
    const payload = whatsAppPayload.safeParse(json);
    if (!payload.success) {
      const details = zodDetails(payload.error);
      const error = `not a WhatsApp notification: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`;
      await settle(c, channel, deliveryId, { outcome: "invalid", error: error.slice(0, 2000) });
      return errorResponse(c, "validation_failed", "The body is not a WhatsApp notification.", details);
    }
    await submitDelivery(c, channel, deliveryId, whatsAppLeads(payload.data));
    return c.body(null, 200);
  });
