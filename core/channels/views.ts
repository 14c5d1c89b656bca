import { z } from "zod";
import { CHANNEL_TYPES, DELIVERY_OUTCOMES } from "../schemas/channels.ts";

/*
 * Channels and their deliveries as the API answers them, as zod schemas: the OpenAPI document is generated from
 * them and the types are inferred. Free of the database, so the web app can `import type` them.
 */

/** A channel: its public settings only, never a secret. */
export const channelView = z
  .object({
    id: z.uuid(),
    type: z.enum(CHANNEL_TYPES),
    name: z.string(),
    inbound_url: z.url().describe("Where the provider posts (absolute, from PUBLIC_API_URL)."),
    settings: z
      .record(z.string(), z.unknown())
      .describe(
        "What may be shown again: `provider` for email, `allowed_origins` for web chat; never a secret.",
      ),
    public_key: z
      .string()
      .optional()
      .describe("Web chat only: `lfpk_…`, public by design, shown on every read."),
    created_at: z.iso.datetime(),
  })
  .meta({ id: "Channel" });
export type ChannelView = z.infer<typeof channelView>;

/** The answer to creating a channel: plus, once, the secret it generated (a Postmark channel's password). */
export const createdChannel = channelView
  .extend({ secret: z.string().optional().describe("A Postmark channel's generated password, shown once.") })
  .meta({ id: "CreatedChannel" });
export type CreatedChannel = z.infer<typeof createdChannel>;

export const channelList = z.object({ items: z.array(channelView) }).meta({ id: "ChannelList" });
export type ChannelList = z.infer<typeof channelList>;

export const deliveryView = z
  .object({
    id: z.uuid(),
    received_at: z.iso.datetime(),
    outcome: z.enum(DELIVERY_OUTCOMES).nullable().describe("Null only while the delivery is being handled."),
    lead_ids: z.array(z.uuid()),
    error: z.string().nullable(),
  })
  .meta({ id: "ChannelDelivery" });
export type DeliveryView = z.infer<typeof deliveryView>;

export const deliveryList = z.object({ items: z.array(deliveryView) }).meta({ id: "ChannelDeliveryList" });
export type DeliveryList = z.infer<typeof deliveryList>;

/** What the widget is told of the lead its message made: that it was received, and nothing more. */
export const webChatReceipt = z
  .object({ id: z.uuid(), status: z.literal("pending") })
  .meta({ id: "WebChatReceipt" });
export type WebChatReceipt = z.infer<typeof webChatReceipt>;
