import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { channelDeliveries, channels } from "../db/schema.ts";
import { API_ROLE, asUser } from "../db/scoped.ts";
import type { ChannelType, DeliveryOutcome } from "../schemas/channels.ts";
import type { ChannelRow } from "./channels.ts";

/** The headers worth keeping with a delivery: what identifies and authenticates it, never a credential. */
const KEPT_HEADERS = [
  "content-type",
  "content-length",
  "user-agent",
  "origin",
  "x-hub-signature-256",
  "x-request-id",
] as const;

export function keptHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers.get(name);
    if (value !== null) kept[name] = value.slice(0, 1000);
  }
  // That Basic credentials came, not what they were: the password is the channel's secret.
  if (headers.has("authorization")) kept.authorization = "[redacted]";
  return kept;
}

/**
 * Stores a delivery as it arrived, before anything is parsed or trusted; its outcome comes later. For the web
 * chat, whose channel was found first (its CORS answer needs it); providers that address a channel by id use
 * recordInboundDelivery.
 *
 * Committed without waiting for the WAL flush (`synchronous_commit` off for this transaction only): the raw copy
 * is made durable by the delivery's next commit, its outcome (synchronous, as every other write), because the WAL
 * is flushed in order. Only a crash in the instant between the two can lose a raw copy, and then the provider got
 * no 200 and delivers again. Waiting for two flushes a delivery made it cost twice what POST /leads does.
 */
export async function recordDelivery(
  db: Database,
  channel: { id: string; userId: string },
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('role', ${API_ROLE}, true),
      set_config('app.user_id', ${channel.userId}, true), set_config('synchronous_commit', 'off', true)`);
    return insertRaw(tx, channel, headers, body);
  });
}

/**
 * A provider's delivery to the channel it addresses by id, stored raw in one transaction with the lookup, and
 * committed as recordDelivery's is. Null, and nothing stored, for an unknown, deleted or other-typed channel.
 */
export async function recordInboundDelivery(
  db: Database,
  type: ChannelType,
  channelId: string,
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<{ channel: ChannelRow; deliveryId: string } | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('role', ${API_ROLE}, true),
      set_config('app.channel_id', ${channelId}, true), set_config('synchronous_commit', 'off', true)`);
    const [channel] = await tx
      .select()
      .from(channels)
      .where(and(eq(channels.id, channelId), eq(channels.type, type), isNull(channels.deletedAt)));
    if (!channel) return null;
    await tx.execute(sql`select set_config('app.user_id', ${channel.userId}, true)`);
    return { channel, deliveryId: await insertRaw(tx, channel, headers, body) };
  });
}

async function insertRaw(
  tx: Transaction,
  channel: { id: string; userId: string },
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<string> {
  const [row] = await tx
    .insert(channelDeliveries)
    .values({ channelId: channel.id, userId: channel.userId, headers, body: Buffer.from(body) })
    .returning({ id: channelDeliveries.id });
  return row!.id;
}

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  leadIds?: string[];
  /** What went wrong, for the owner: a sentence, never a secret or the body. */
  error?: string | null;
}

/** Writes what became of a delivery, once: a second settle of the same delivery changes nothing. */
export async function settleDelivery(
  db: Database,
  userId: string,
  deliveryId: string,
  result: DeliveryResult,
): Promise<void> {
  await asUser(db, userId, (tx) => settleDeliveryIn(tx, deliveryId, result));
}

/** As settleDelivery, inside the caller's transaction (the one that stores the delivery's leads). */
export async function settleDeliveryIn(tx: Transaction, deliveryId: string, result: DeliveryResult) {
  await tx
    .update(channelDeliveries)
    .set({ outcome: result.outcome, leadIds: result.leadIds ?? [], error: result.error ?? null })
    .where(and(eq(channelDeliveries.id, deliveryId), isNull(channelDeliveries.outcome)));
}
