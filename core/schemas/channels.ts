import { z } from "zod";

export const CHANNEL_TYPES = ["whatsapp", "email", "webchat"] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** What became of one inbound delivery (DESIGN.md, "Contract details: Channels"). */
export const DELIVERY_OUTCOMES = ["accepted", "duplicate", "ignored", "rejected", "invalid"] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export const EMAIL_PROVIDERS = ["postmark", "mailgun"] as const;

const secretText = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(500, `${what} must be at most 500 characters`)
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters");

/** An origin as a browser sends it: scheme, host and an optional port; no path, query or trailing slash. */
const origin = z.string().refine((s) => {
  try {
    const url = new URL(s);
    return (url.protocol === "https:" || url.protocol === "http:") && url.origin === s;
  } catch {
    return false;
  }
}, "must be an origin such as https://example.com (scheme and host, no path or trailing slash)");

const channelName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  .refine((s) => !s.includes("\u0000"), "must not contain NUL characters");

export const channelInput = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("whatsapp"),
    name: channelName,
    settings: z.strictObject({
      verify_token: secretText("verify_token"),
      app_secret: secretText("app_secret"),
    }),
  }),
  z.strictObject({
    type: z.literal("email"),
    name: channelName,
    settings: z.discriminatedUnion("provider", [
      z.strictObject({ provider: z.literal("postmark") }),
      z.strictObject({ provider: z.literal("mailgun"), signing_key: secretText("signing_key") }),
    ]),
  }),
  z.strictObject({
    type: z.literal("webchat"),
    name: channelName,
    settings: z.strictObject({ allowed_origins: z.array(origin).min(1).max(20) }),
  }),
]);
export type ChannelInput = z.infer<typeof channelInput>;
