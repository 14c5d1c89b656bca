import { createRoute } from "@hono/zod-openapi";
import { findInboundChannel } from "@leadflow/core/channels/channels";
import { webChatReceipt } from "@leadflow/core/channels/views";
import {
  originAllowed,
  PUBLIC_KEY_PATTERN,
  webChatLead,
  webChatMessage,
} from "@leadflow/core/channels/webchat";
import type { Context } from "hono";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { clientIp } from "../client-ip.ts";
import type { AppEnv } from "../context.ts";
import { errorResponse } from "../errors.ts";
import {
  inboundBodyLimit,
  jsonOrRefuse,
  payloadOrRefuse,
  receiveDelivery,
  submitDelivery,
} from "../inbound.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import { errorAnswers, jsonAnswer, PUBLIC } from "../responses.ts";
import { router } from "../router.ts";

const PATH = "/:publicKey";

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

// The middleware checks the key's form and answers 404 itself, before any validation.
const keyParams = z.object({ publicKey: z.string() });
const tags = ["inbound"];

const post = createRoute({
  method: "post",
  path: "/{publicKey}",
  operationId: "receiveWebChatMessage",
  summary: "A web-chat message from the widget on an allowed page: becomes a lead",
  tags,
  ...PUBLIC,
  description:
    "The key is the channel's public `lfpk_…`. CORS: only the channel's `allowed_origins`, each answered with " +
    "exactly its own origin. Limited to WEBCHAT_RATE_LIMIT posts a minute per address and key. The body " +
    "(`{name, message, contact?}`) is read as raw bytes and stored before it is parsed, so it has no schema here.",
  middleware: [inboundBodyLimit] as const,
  request: { params: keyParams },
  responses: {
    202: jsonAnswer("Received, and nothing more of the lead.", webChatReceipt),
    ...errorAnswers(
      "invalid_json",
      "validation_failed",
      "origin_not_allowed",
      "not_found",
      "payload_too_large",
      "rate_limited",
      "service_unavailable",
    ),
  },
});

// cors() answers the preflight itself, so the route is declared for the document and served by Hono's options.
const preflight = createRoute({
  method: "options",
  path: "/{publicKey}",
  operationId: "preflightWebChatMessage",
  summary: "The CORS preflight of a web-chat post: allowed only from the channel's allowed_origins",
  tags,
  ...PUBLIC,
  request: { params: keyParams },
  responses: {
    204: { description: "Allowed; Access-Control-Allow-Origin is exactly the caller's origin." },
    ...errorAnswers("origin_not_allowed", "not_found", "service_unavailable"),
  },
});

async function receive(c: Context<AppEnv>) {
  const channel = c.var.webChatChannel!;
  const { body, deliveryId } = await receiveDelivery(c, channel);
  const json = await jsonOrRefuse(c, channel, deliveryId, body);
  const message = await payloadOrRefuse(c, channel, deliveryId, webChatMessage, json, "a chat message");
  const result = await submitDelivery(c, channel, deliveryId, [webChatLead(message)]);
  return c.json({ id: result.leadIds![0]!, status: "pending" as const }, 202);
}

export const webChatRoutes = router();
webChatRoutes.openAPIRegistry.registerPath(preflight);
webChatRoutes.use(PATH, channelOrigin);
// A preflight that reached here passed the origin check; cors() has already answered it (204).
webChatRoutes.options(PATH, (c) => c.body(null, 204));
webChatRoutes.use(PATH, perAddressAndKey);
webChatRoutes.openapi(post, (c) => receive(c));
