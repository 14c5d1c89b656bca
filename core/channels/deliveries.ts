import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { channelDeliveries } from "../db/schema.ts";
import { API_ROLE, asUser } from "../db/scoped.ts";
import type { DeliveryOutcome } from "../schemas/channels.ts";

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
 * Stores a delivery as it arrived, before anything is parsed or trusted; its outcome comes later.
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
  const [row] = await db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('role', ${API_ROLE}, true),
      set_config('app.user_id', ${channel.userId}, true), set_config('synchronous_commit', 'off', true)`);
    return tx
      .insert(channelDeliveries)
      .values({ channelId: channel.id, userId: channel.userId, headers, body: Buffer.from(body) })
      .returning({ id: channelDeliveries.id });
  });
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
