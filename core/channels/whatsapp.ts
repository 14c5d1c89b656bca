import { createHmac } from "node:crypto";
import { z } from "zod";
import { sameHex } from "./secrets.ts";
import { cutText, type InboundLead } from "./submit.ts";

/**
 * WhatsApp Cloud API webhooks (Meta): the verification handshake, the signature over the raw body, and the
 * `messages` change whose `value` carries `contacts[]`, `messages[]` and `statuses[]`.
 */

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, the raw body bytes)>`, compared in constant time. */
export function verifyWhatsAppSignature(
  appSecret: string,
  rawBody: Uint8Array,
  header: string | undefined,
): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? "");
  if (!match) return false;
  const expected = createHmac("sha256", appSecret).update(rawBody).digest();
  return sameHex(match[1]!, expected);
}

// Meta adds fields over time: unknown keys are allowed; the ones we read must have the documented types.
const contact = z.looseObject({ wa_id: z.string(), profile: z.looseObject({ name: z.string() }).optional() });
const message = z.looseObject({
  id: z.string().min(1),
  from: z.string().min(1),
  timestamp: z.string().optional(),
  type: z.string().min(1),
  text: z.looseObject({ body: z.string() }).optional(),
});
const changeValue = z.looseObject({
  contacts: z.array(contact).optional(),
  messages: z.array(message).optional(),
  statuses: z.array(z.unknown()).optional(),
});
export const whatsAppPayload = z.looseObject({
  object: z.literal("whatsapp_business_account"),
  entry: z.array(
    z.looseObject({
      id: z.string().optional(),
      changes: z.array(z.looseObject({ field: z.string().optional(), value: changeValue })),
    }),
  ),
});
export type WhatsAppPayload = z.infer<typeof whatsAppPayload>;
type WhatsAppMessage = z.infer<typeof message>;

/** The words a non-text message keeps: a media caption, a document's file name, a button's or reply's text. */
function textOf(msg: WhatsAppMessage): string | null {
  const part = (msg as Record<string, unknown>)[msg.type];
  if (!part || typeof part !== "object") return null;
  const fields = part as Record<string, unknown>;
  const words = [
    fields.caption,
    fields.filename,
    fields.text,
    fields.emoji,
    fields.name,
    fields.address,
  ].filter((v): v is string => typeof v === "string" && v.trim().length > 0);
  // Interactive replies carry their choice one level down: {button_reply: {title}} or {list_reply: {title}}.
  for (const reply of [fields.button_reply, fields.list_reply]) {
    const title = (reply as { title?: unknown } | undefined)?.title;
    if (typeof title === "string" && title.trim()) words.push(title);
  }
  return words.length > 0 ? words.join(" · ") : null;
}

/** A text message's body as sent; any other type is named, with whatever words it carries. */
export function messageText(msg: WhatsAppMessage): string {
  if (msg.type === "text" && msg.text) return msg.text.body;
  const words = textOf(msg);
  return words ? `[WhatsApp ${msg.type} message] ${words}` : `[WhatsApp ${msg.type} message with no text]`;
}

/** Every message of every change of every entry, each with its sender's profile name (else the wa_id). */
export function whatsAppLeads(payload: WhatsAppPayload): InboundLead[] {
  const leads: InboundLead[] = [];
  for (const entry of payload.entry) {
    for (const change of entry.changes) {
      const names = new Map((change.value.contacts ?? []).map((c) => [c.wa_id, c.profile?.name]));
      for (const msg of change.value.messages ?? []) {
        const name = names.get(msg.from)?.trim() ? names.get(msg.from)! : msg.from;
        leads.push({
          idempotencyKey: msg.id,
          input: {
            name: cutText(name, 200),
            contact_channel: "whatsapp",
            contact: `+${msg.from}`,
            message: cutText(messageText(msg), 5000),
          },
        });
      }
    }
  }
  return leads;
}
