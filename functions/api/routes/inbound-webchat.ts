import { createRoute, z } from "@hono/zod-openapi";
import { findInboundChannel } from "@leadflow/core/channels/channels";
import {
  originAllowed,
  PUBLIC_KEY_PATTERN,
  webChatLead,
  webChatMessage,
} from "@leadflow/core/channels/webchat";
import type { Context } from "hono";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { clientIp } from "../client-ip.ts";
import type { AppEnv } from "../env.ts";
import { errorResponse, zodDetails } from "../errors.ts";
import { inboundBodyLimit, parseJson, receiveDelivery, settle, submitDelivery } from "../inbound.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import { errorAnswers, openApiRouter } from "../openapi-router.ts";

const PATH = "/inbound/webchat/:publicKey";

/**
 * The channel the key names (404 otherwise), and the page's origin checked against its allow-list before anything
 * else: no Origin, or one not listed, is 403 with no Access-Control-Allow-Origin, preflight or not. An allowed one
 * gets Hono's cors middleware configured with this channel's own list, so every answer after it (202, 400, 429)
 * carries exactly that origin and the widget can show what happened.
 */
const channelOrigin = createMiddleware<AppEnv>(async (c, next) => {
  const publicKey = c.req.param("publicKey") ?? "";
  const channel = PUBLIC_KEY_PATTERN.test(publicKey)
    ? await findInboundChannel(c.var.deps.database.db, "webchat", { publicKey })
    : null;
  if (!channel) return errorResponse(c, "not_found", "No such channel.");
  if (!originAllowed(channel.settings, c.req.header("origin"))) {
    return errorResponse(c, "origin_not_allowed", "This page's origin may not post to this chat.");
  }
  c.set("webChatChannel", channel);
  return cors({
    origin: channel.settings.allowed_origins as string[],
    allowMethods: ["POST"],
    allowHeaders: ["Content-Type"],
    maxAge: 600,
  })(c, next);
});

/** Every post from one address to one key counts, whatever its answer. */
const perAddressAndKey = rateLimit(
  "webchat",
  (c) => c.var.deps.config.WEBCHAT_RATE_LIMIT,
  (c) => [`key:${c.req.param("publicKey")}:ip:${clientIp(c)}`],
);

const post = createRoute({
  method: "post",
  path: "/inbound/webchat/{publicKey}",
  summary: "A web-chat message from the widget on an allowed page: becomes a lead",
  description:
    "The key is the channel's public `lfpk_…`. CORS: only the channel's `allowed_origins`, each answered with " +
    "exactly its own origin. Limited to WEBCHAT_RATE_LIMIT posts a minute per address and key.",
  middleware: [inboundBodyLimit] as const,
  request: { params: z.object({ publicKey: z.string() }) },
  responses: {
    // Described in words: the route also answers in the error envelope, which a typed answer would refuse.
    202: { description: 'Received: `{id, status: "pending"}` and nothing more of the lead.' },
    ...errorAnswers({
      400: "`invalid_json` or `validation_failed` (name, message, contact).",
      403: "`origin_not_allowed`: no Origin, or one the channel does not allow.",
      404: "`not_found`: no such key, or the channel was deleted.",
      429: "`rate_limited`: too many posts from this address; see Retry-After.",
    }),
  },
});

async function receive(c: Context<AppEnv>) {
  const channel = c.var.webChatChannel!;
  const { body, deliveryId } = await receiveDelivery(c, channel);
  const json = parseJson(body);
  if (json === undefined) {
    await settle(c, channel, deliveryId, { outcome: "invalid", error: "the body is not JSON" });
    return errorResponse(c, "invalid_json", "The request body is not valid JSON.");
  }
  const message = webChatMessage.safeParse(json);
  if (!message.success) {
    const details = zodDetails(message.error);
    const summary = details.map((d) => `${d.path}: ${d.message}`).join("; ");
    await settle(c, channel, deliveryId, {
      outcome: "invalid",
      error: `not a chat message: ${summary}`.slice(0, 2000),
    });
    return errorResponse(c, "validation_failed", "The message is invalid.", details);
  }
  const result = await submitDelivery(c, channel, deliveryId, [webChatLead(message.data)]);
  return c.json({ id: result.leadIds![0]!, status: "pending" as const }, 202);
}

export const webChatRoutes = openApiRouter();
webChatRoutes.use(PATH, channelOrigin);
// A preflight that reached here passed the origin check; cors() has already answered it (204).
webChatRoutes.options(PATH, (c) => c.body(null, 204));
webChatRoutes.use(PATH, perAddressAndKey);
webChatRoutes.openapi(post, (c) => receive(c));
