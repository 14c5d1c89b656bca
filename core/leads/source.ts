import { eq } from "drizzle-orm";
import { channels, leads } from "../db/schema.ts";
import type { LeadSource } from "./views.ts";

/**
 * A lead's channel connection, for every query that shows leads (list, lead page, inbox): select `sourceColumns`
 * and `leftJoin(channels, joinSource)`, then `toSource(row)`. A left join, because most leads have no channel.
 */
export const sourceColumns = {
  sourceChannelId: channels.id,
  sourceChannelType: channels.type,
  sourceChannelName: channels.name,
  sourceFrom: leads.contact,
};

export const joinSource = eq(channels.id, leads.channelId);

export interface SourceRow {
  sourceChannelId: string | null;
  sourceChannelType: string | null;
  sourceChannelName: string | null;
  sourceFrom: string | null;
}

export const toSource = (r: SourceRow): LeadSource | null =>
  r.sourceChannelId && r.sourceChannelType && r.sourceChannelName !== null
    ? {
        channel_id: r.sourceChannelId,
        // Written only from CHANNEL_TYPES, under the channels_type_check constraint.
        channel_type: r.sourceChannelType as LeadSource["channel_type"],
        channel_name: r.sourceChannelName,
        from: r.sourceFrom,
      }
    : null;
