import { createHmac, timingSafeEqual } from "node:crypto";
import { and, eq, lt, sql } from "drizzle-orm";
import EmailReplyParser from "email-reply-parser";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { inboundTokens } from "../db/schema.ts";
import { asUser } from "../db/scoped.ts";
import { matchesDigest, sameHex } from "./secrets.ts";
import { cutText, type InboundLead } from "./submit.ts";

/** The user name in a Postmark channel's Basic credentials; the password is the channel's generated secret. */
export const POSTMARK_USER = "leadflow";
/** How far a Mailgun timestamp may be from our clock. */
export const MAILGUN_WINDOW_SECONDS = 5 * 60;
const MESSAGE_CODE_POINTS = 5000;

/** Postmark's `Authorization: Basic …` for this channel, compared in constant time. */
export function verifyPostmarkAuth(header: string | undefined, passwordDigest: Buffer | null): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? "");
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  const user = Buffer.from(decoded.slice(0, colon));
  const userOk = user.length === POSTMARK_USER.length && timingSafeEqual(user, Buffer.from(POSTMARK_USER));
  return matchesDigest(decoded.slice(colon + 1), passwordDigest) && userOk;
}

/** Mailgun's `signature == hex HMAC-SHA256(signing key, timestamp + token)`, and the timestamp recent. */
export function verifyMailgunSignature(
  signingKey: string,
  fields: { timestamp: string; token: string; signature: string },
  nowSeconds = Date.now() / 1000,
): boolean {
  const timestamp = Number(fields.timestamp);
  if (!/^\d{1,12}$/.test(fields.timestamp) || Math.abs(nowSeconds - timestamp) > MAILGUN_WINDOW_SECONDS)
    return false;
  const expected = createHmac("sha256", signingKey)
    .update(fields.timestamp + fields.token)
    .digest();
  return sameHex(fields.signature, expected);
}

/**
 * Spends a Mailgun token: true the first time this channel sees it, false for a replay. Seen tokens are kept past
 * the window (twice it), after which a replay fails the timestamp check anyway; expired ones are pruned here.
 */
export async function spendMailgunToken(
  db: Database,
  channel: { id: string; userId: string },
  token: string,
) {
  return asUser(db, channel.userId, async (tx) => {
    await tx
      .delete(inboundTokens)
      .where(and(eq(inboundTokens.channelId, channel.id), lt(inboundTokens.expiresAt, sql`now()`)));
    const spent = await tx
      .insert(inboundTokens)
      .values({
        channelId: channel.id,
        userId: channel.userId,
        token,
        expiresAt: sql`now() + make_interval(secs => ${2 * MAILGUN_WINDOW_SECONDS})`,
      })
      .onConflictDoNothing()
      .returning({ token: inboundTokens.token });
    return spent.length === 1;
  });
}

/** `"Ana López" <Ana@Example.com>` → its display name (null when absent) and its address, trimmed and lower-cased. */
export function parseMailbox(from: string): { name: string | null; address: string } {
  const angled = /^\s*(.*?)\s*<([^<>\s]+)>\s*$/.exec(from);
  const address = (angled ? angled[2]! : from).trim().toLowerCase();
  const name = angled?.[1]?.replace(/^"(.*)"$/, "$1").trim() || null;
  return { name, address };
}

const replyParser = new EmailReplyParser();

/**
 * The lead of one email: the subject, a blank line, and the reply without its quoted history, cut to 5,000 code
 * points (the cut marked). The provider's stripped reply is preferred; without one, email-reply-parser strips
 * the plain body (quoted lines, "On … wrote:" headers, signatures).
 */
export function emailLead(mail: {
  fromName: string | null;
  fromAddress: string;
  subject: string;
  strippedReply: string | null;
  plainBody: string;
  messageId: string;
}): InboundLead {
  const reply = mail.strippedReply?.trim() ? mail.strippedReply : replyParser.parseReply(mail.plainBody);
  const text = [mail.subject.trim(), reply.trim()].filter(Boolean).join("\n\n");
  return {
    idempotencyKey: mail.messageId,
    input: {
      name: cutText(mail.fromName || mail.fromAddress, 200),
      contact_channel: "email",
      contact: mail.fromAddress,
      message: cutText(text, MESSAGE_CODE_POINTS),
    },
  };
}

/** Postmark's inbound webhook JSON (the fields leadflow reads; Postmark sends many more). */
export const postmarkInbound = z.looseObject({
  FromName: z.string().optional(),
  From: z.string().min(1),
  FromFull: z.looseObject({ Email: z.string().min(1), Name: z.string().optional() }).optional(),
  Subject: z.string().default(""),
  MessageID: z.string().min(1),
  TextBody: z.string().default(""),
  StrippedTextReply: z.string().nullish(),
});

export function postmarkLead(mail: z.infer<typeof postmarkInbound>): InboundLead {
  const mailbox = parseMailbox(mail.FromFull?.Email ?? mail.From);
  return emailLead({
    fromName: mail.FromFull?.Name?.trim() || mail.FromName?.trim() || mailbox.name,
    fromAddress: mailbox.address,
    subject: mail.Subject,
    strippedReply: mail.StrippedTextReply ?? null,
    plainBody: mail.TextBody,
    messageId: mail.MessageID,
  });
}

/** Mailgun's route forward (a form post): the fields leadflow reads. */
export const mailgunInbound = z.looseObject({
  timestamp: z.string(),
  token: z.string().min(1).max(200),
  signature: z.string(),
  from: z.string().min(1),
  subject: z.string().default(""),
  "body-plain": z.string().default(""),
  "stripped-text": z.string().optional(),
  "Message-Id": z.string().min(1),
});

export function mailgunLead(mail: z.infer<typeof mailgunInbound>): InboundLead {
  const mailbox = parseMailbox(mail.from);
  return emailLead({
    fromName: mailbox.name,
    fromAddress: mailbox.address,
    subject: mail.subject,
    strippedReply: mail["stripped-text"] ?? null,
    plainBody: mail["body-plain"],
    messageId: mail["Message-Id"],
  });
}
