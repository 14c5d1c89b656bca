import type { z } from "zod";
import { leadInput } from "../schemas/lead.ts";
import type { InboundLead } from "./submit.ts";

/** What the widget posts: a person's name, their message and optionally how to reach them. */
export const webChatMessage = leadInput.pick({ name: true, message: true, contact: true }).strict();
export type WebChatMessage = z.infer<typeof webChatMessage>;

export const PUBLIC_KEY_PATTERN = /^lfpk_[A-Za-z0-9_-]{43}$/;

/** Whether the page posting is one the channel's owner allowed, exactly as the browser names its origin. */
export function originAllowed(
  settings: Record<string, unknown>,
  origin: string | undefined,
): origin is string {
  const allowed = settings.allowed_origins;
  return typeof origin === "string" && Array.isArray(allowed) && allowed.includes(origin);
}

/** A web-chat message has no provider id to dedupe on: each post is its own lead. */
export const webChatLead = (message: WebChatMessage): InboundLead => ({
  input: { ...message, contact_channel: "webchat" },
  idempotencyKey: null,
});
