import { z } from "zod";

/** What an endpoint may subscribe to; `ping` is sent only on request (POST /webhook-endpoints/:id/test). */
export const WEBHOOK_EVENTS = ["lead.routed", "lead.failed", "lead.corrected", "lead.handled"] as const;
export const webhookEvent = z.enum(WEBHOOK_EVENTS);
export type WebhookEvent = z.infer<typeof webhookEvent>;
export type WebhookMessageType = WebhookEvent | "ping";

export const WEBHOOK_ENDPOINT_STATUSES = ["active", "disabled"] as const;
export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const webhookEndpointInput = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  events: z
    .array(webhookEvent)
    .min(1)
    .max(WEBHOOK_EVENTS.length)
    .refine((events) => new Set(events).size === events.length, "lists an event twice"),
});
export type WebhookEndpointInput = z.infer<typeof webhookEndpointInput>;
