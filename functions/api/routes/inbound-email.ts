import { createRoute } from "@hono/zod-openapi";
import {
  mailgunInbound,
  mailgunLead,
  postmarkInbound,
  postmarkLead,
  spendMailgunToken,
  verifyMailgunSignature,
  verifyPostmarkAuth,
} from "@leadflow/core/channels/email";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import {
  inboundBodyLimit,
  jsonOrRefuse,
  payloadOrRefuse,
  receiveAtChannel,
  refuse,
  submitDelivery,
} from "../inbound.ts";
import { errorAnswerAt, errorAnswers, PUBLIC } from "../responses.ts";
import { channelIdParams, router } from "../router.ts";

const inbound = createRoute({
  method: "post",
  path: "/{channelId}",
  operationId: "receiveInboundEmail",
  summary: "Inbound email from Postmark (JSON, Basic auth) or Mailgun (a signed form post)",
  tags: ["inbound"],
  ...PUBLIC,
  description:
    "Postmark: `Authorization: Basic` with user `leadflow` and the channel's generated secret. Mailgun: " +
    "`signature == hex HMAC-SHA256(signing_key, timestamp + token)`, the timestamp within 5 minutes, each token " +
    "once. The lead's message is the subject and the reply without its quoted history, at most 5,000 characters; " +
    "the Message-ID is its idempotency key. The body is read as raw bytes (JSON or a form post, by provider), " +
    "so it has no schema here.",
  middleware: [inboundBodyLimit] as const,
  request: { params: channelIdParams },
  responses: {
    200: { description: "Received (stored as a delivery, whatever became of it)." },
    ...errorAnswers(
      "invalid_json",
      "validation_failed",
      "unauthorized",
      "not_found",
      "payload_too_large",
      "service_unavailable",
    ),
    // Mailgun's signature is wrong, stale or its token reused: 406 is the answer that stops Mailgun retrying.
    406: errorAnswerAt(406, ["invalid_signature"]),
  },
});

type Received = Awaited<ReturnType<typeof receiveAtChannel>>;

async function postmark(c: Context<AppEnv>, { channel, body, deliveryId }: Received) {
  if (!verifyPostmarkAuth(c.req.header("authorization"), channel.passwordDigest)) {
    c.header("WWW-Authenticate", 'Basic realm="leadflow inbound email"');
    await refuse(
      c,
      channel,
      deliveryId,
      { outcome: "rejected", error: "missing or wrong Basic credentials" },
      new ApiError("unauthorized", "Valid Basic credentials for this channel are required."),
    );
  }
  const json = await jsonOrRefuse(c, channel, deliveryId, body);
  const mail = await payloadOrRefuse(
    c,
    channel,
    deliveryId,
    postmarkInbound,
    json,
    "a Postmark inbound email",
  );
  await submitDelivery(c, channel, deliveryId, [postmarkLead(mail)]);
  return c.body(null, 200);
}

/** A form post's text fields; attachments (files) are not read. Null when the body is no form. */
async function formFields(c: Context<AppEnv>, body: Uint8Array): Promise<Record<string, string> | null> {
  try {
    const headers = { "content-type": c.req.header("content-type") ?? "" };
    const form = await new Response(Buffer.from(body), { headers }).formData();
    const fields: Record<string, string> = {};
    for (const [name, value] of form) if (typeof value === "string") fields[name] ??= value;
    return fields;
  } catch {
    return null;
  }
}

async function mailgun(c: Context<AppEnv>, { channel, body, deliveryId }: Received) {
  const fields = await formFields(c, body);
  const rejected = (error: string) =>
    refuse(
      c,
      channel,
      deliveryId,
      { outcome: "rejected", error },
      new ApiError("invalid_signature", "The Mailgun signature is not valid.", { status: 406 }),
    );
  if (!fields) {
    await refuse(
      c,
      channel,
      deliveryId,
      { outcome: "invalid", error: "the body is not a form post" },
      new ApiError("validation_failed", "The body is not a Mailgun form post."),
    );
  }
  const { timestamp = "", token = "", signature = "" } = fields!;
  const signingKey = c.var.deps.channelSecrets.open(channel.sealedSecret!);
  if (!verifyMailgunSignature(signingKey, { timestamp, token, signature })) {
    return rejected("missing, wrong or stale signature");
  }
  if (!(await spendMailgunToken(c.var.deps.database.db, channel, token)))
    return rejected("token already used");
  const mail = await payloadOrRefuse(
    c,
    channel,
    deliveryId,
    mailgunInbound,
    fields,
    "a Mailgun inbound email",
  );
  await submitDelivery(c, channel, deliveryId, [mailgunLead(mail)]);
  return c.body(null, 200);
}

export const emailRoutes = router().openapi(inbound, async (c) => {
  const { channelId } = c.req.valid("param");
  const received = await receiveAtChannel(c, "email", channelId);
  return received.channel.settings.provider === "mailgun" ? mailgun(c, received) : postmark(c, received);
});
