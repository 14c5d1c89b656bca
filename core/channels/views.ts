import type { ChannelType, DeliveryOutcome } from "../schemas/channels.ts";

/** A channel as the API shows it: its public settings only, never a secret. Free of the database for `import type`. */
export interface ChannelView {
  id: string;
  type: ChannelType;
  name: string;
  inbound_url: string;
  settings: Record<string, unknown>;
  /** Web chat only: the key a page embeds (public by design, shown on every read). */
  public_key?: string;
  created_at: string;
}

/** The answer to creating a channel: plus, once, the secret it generated (a Postmark channel's password). */
export interface CreatedChannel extends ChannelView {
  secret?: string;
}

export interface DeliveryView {
  id: string;
  received_at: string;
  outcome: DeliveryOutcome | null;
  lead_ids: string[];
  error: string | null;
}
