import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { DeliveryQueue } from "../queue/deliveries.ts";

const SWEEP_BATCH = 1_000;
/** A try handed to the queue this long ago and still not started is taken for lost (Redis came back empty). */
const REENQUEUE_AFTER = "1 minute";

/**
 * Hands every due delivery to the queue: new ones (the outbox the triggers wrote), resends, and retries whose
 * delayed job was lost (Redis came back empty) or whose worker died mid-try (its claim lapsed). Enqueueing a try
 * that is already queued changes nothing, and the claim in deliverWebhook makes a duplicate send nothing, so a
 * sweep may run as often as it likes. Returns how many it enqueued.
 */
export async function sweepDueDeliveries(db: Database, queue: DeliveryQueue): Promise<number> {
  let total = 0;
  for (;;) {
    // Marked as handed out in the statement that picks them, so sweeps running side by side (several workers)
    // split the work instead of each enqueueing everything.
    const due = await db.execute<{ id: string; attempts: number }>(sql`
      update webhook_deliveries set enqueued_at = now()
       where id in (
         select id from webhook_deliveries
          where status = 'pending' and next_attempt_at <= now() and (lease_until is null or lease_until < now())
            and (enqueued_at is null or enqueued_at < now() - ${REENQUEUE_AFTER}::interval)
          order by next_attempt_at limit ${SWEEP_BATCH}
          for update skip locked)
      returning id, attempts`);
    if (due.rows.length === 0) return total;
    await queue.enqueue(due.rows.map((d) => ({ deliveryId: d.id, attempt: d.attempts + 1 })));
    total += due.rows.length;
    if (due.rows.length < SWEEP_BATCH) return total;
  }
}
