import { z } from "zod";
import { DELIVERY_STATUSES, WEBHOOK_ENDPOINT_STATUSES, webhookEvent } from "../schemas/webhooks.ts";

const timestamp = z.iso.datetime();

/** An outbound webhook endpoint; its secret is shown once, when it is created. */
export const webhookEndpointView = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(webhookEvent),
    status: z.enum(WEBHOOK_ENDPOINT_STATUSES),
    created_at: timestamp,
  })
  .meta({ id: "WebhookEndpoint" });
export type WebhookEndpointView = z.infer<typeof webhookEndpointView>;

export const createdWebhookEndpoint = webhookEndpointView
  .extend({ secret: z.string().startsWith("whsec_").describe("The signing secret; never shown again.") })
  .meta({ id: "CreatedWebhookEndpoint" });

/** One event sent (or being sent) to an endpoint, with the outcome of its latest try. */
export const webhookDeliveryView = z
  .object({
    id: z.uuid(),
    event: z.string(),
    lead_id: z.uuid().nullable(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: timestamp.nullable().describe("When the next try is due, while it is pending."),
    created_at: timestamp,
  })
  .meta({ id: "WebhookDelivery" });
export type WebhookDeliveryView = z.infer<typeof webhookDeliveryView>;

/** A try handed to the delivery queue (a test ping, a resend). */
export const queuedDelivery = z.object({ delivery_id: z.uuid() });
