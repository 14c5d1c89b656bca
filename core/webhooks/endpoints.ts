import { randomBytes } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { webhookDeliveries, webhookEndpoints } from "../db/schema.ts";
import { asUser } from "../db/scoped.ts";
import { DomainError } from "../errors.ts";
import type { WebhookEndpointInput } from "../schemas/webhooks.ts";
import { refuseTarget } from "./target.ts";
import type { WebhookDeliveryView, WebhookEndpointView } from "./views.ts";

/** How many recent deliveries an endpoint's log shows. */
export const DELIVERY_LOG_LENGTH = 50;

const endpointView = (row: typeof webhookEndpoints.$inferSelect): WebhookEndpointView => ({
  id: row.id,
  url: row.url,
  events: row.events as WebhookEndpointView["events"],
  status: row.status as WebhookEndpointView["status"],
  created_at: row.createdAt.toISOString(),
});

const notFound = () => new DomainError("not_found", "No such webhook endpoint.");

/** Standard Webhooks' secret format: `whsec_` and the base64 of 32 random bytes, the key the HMAC uses. */
const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/** Registers an endpoint; the answer carries its secret, which is never shown again. */
export async function createEndpoint(
  db: Database,
  userId: string,
  input: WebhookEndpointInput,
  options: { allowPrivate: boolean },
): Promise<WebhookEndpointView & { secret: string }> {
  const refused = await refuseTarget(input.url, options.allowPrivate);
  if (refused) {
    throw new DomainError("validation_failed", "The webhook URL is not allowed.", [
      { path: "url", message: refused },
    ]);
  }
  const secret = newSecret();
  const [row] = await asUser(db, userId, (tx) =>
    tx.insert(webhookEndpoints).values({ userId, url: input.url, events: input.events, secret }).returning(),
  );
  return { ...endpointView(row!), secret };
}

export async function listEndpoints(db: Database, userId: string) {
  const rows = await asUser(db, userId, (tx) =>
    tx
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.userId, userId))
      .orderBy(desc(webhookEndpoints.createdAt)),
  );
  return { items: rows.map(endpointView) };
}

export async function deleteEndpoint(db: Database, userId: string, endpointId: string) {
  const deleted = await asUser(db, userId, (tx) =>
    tx
      .delete(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.userId, userId)))
      .returning({ id: webhookEndpoints.id }),
  );
  if (deleted.length === 0) throw notFound();
}

async function ownEndpoint(tx: Transaction, userId: string, id: string) {
  const [row] = await tx
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.userId, userId)));
  if (!row) throw notFound();
  return row;
}

/** The endpoint's most recent deliveries, newest first. */
export function listDeliveries(db: Database, userId: string, endpointId: string) {
  return asUser(db, userId, async (tx) => {
    await ownEndpoint(tx, userId, endpointId);
    const rows = await tx
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.userId, userId)))
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(DELIVERY_LOG_LENGTH);
    return {
      items: rows.map(
        (d): WebhookDeliveryView => ({
          id: d.id,
          event: d.event,
          lead_id: d.leadId,
          status: d.status as WebhookDeliveryView["status"],
          attempts: d.attempts,
          last_status_code: d.lastStatusCode,
          last_error: d.lastError,
          next_attempt_at: d.status === "pending" ? d.nextAttemptAt.toISOString() : null,
          created_at: d.createdAt.toISOString(),
        }),
      ),
    };
  });
}

/** Queues a `ping` to the endpoint, delivered (signed, retried) like any event. */
export function sendPing(db: Database, userId: string, endpointId: string) {
  return asUser(db, userId, async (tx) => {
    await ownEndpoint(tx, userId, endpointId);
    const createdAt = new Date();
    const payload = JSON.stringify({
      type: "ping",
      timestamp: createdAt.toISOString(),
      data: { endpoint_id: endpointId },
    });
    const [row] = await tx
      .insert(webhookDeliveries)
      .values({ endpointId, userId, event: "ping", payload, createdAt })
      .returning({ id: webhookDeliveries.id });
    return { delivery_id: row!.id };
  });
}

/**
 * Sends a delivery again from its first try, with the same webhook-id and body. A person asking for it means the
 * receiver is back, so an endpoint disabled by a 410 is made active again.
 */
export function resendDelivery(db: Database, userId: string, endpointId: string, deliveryId: string) {
  return asUser(db, userId, async (tx) => {
    await ownEndpoint(tx, userId, endpointId);
    const [row] = await tx
      .update(webhookDeliveries)
      .set({
        status: "pending",
        attempts: 0,
        nextAttemptAt: sql`now()`,
        leaseUntil: null,
        enqueuedAt: null,
        lastError: null,
        lastStatusCode: null,
        deliveredAt: null,
      })
      .where(
        and(
          eq(webhookDeliveries.id, deliveryId),
          eq(webhookDeliveries.endpointId, endpointId),
          eq(webhookDeliveries.userId, userId),
          sql`(${webhookDeliveries.status} <> 'pending' or ${webhookDeliveries.leaseUntil} is null)`,
        ),
      )
      .returning({ id: webhookDeliveries.id });
    if (!row)
      throw new DomainError("not_found", "No such delivery of this endpoint, or it is being sent now.");
    await tx
      .update(webhookEndpoints)
      .set({ status: "active", updatedAt: sql`now()` })
      .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.status, "disabled")));
    return { delivery_id: row.id };
  });
}
