import { sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import { getLeadIn } from "../leads/queries.ts";
import type { Logger } from "../logger.ts";
import type { DeliveryJob, DeliveryQueue } from "../queue/deliveries.ts";
import { retryDelayMs } from "../workflow/backoff.ts";
import { postWebhook, type SendOutcome, WEBHOOK_TIMEOUT_MS } from "./send.ts";

export interface DeliverySettings {
  maxAttempts: number;
  backoffBaseMs: number;
  allowPrivate: boolean;
  timeoutMs?: number;
}

/** The settings of every try, from the configuration: the same for the container worker and the Lambda consumer. */
export const deliverySettings = (config: Config): DeliverySettings => ({
  maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
  backoffBaseMs: config.WEBHOOK_BACKOFF_BASE_MS,
  allowPrivate: config.WEBHOOK_ALLOW_PRIVATE === "true",
});

export interface DeliveryDeps {
  db: Database;
  queue: DeliveryQueue;
  settings: DeliverySettings;
  log: Logger;
  random?: () => number;
}

/** Retries double from WEBHOOK_BACKOFF_BASE_MS with full jitter, never more than this apart. */
export const WEBHOOK_BACKOFF_CAP_MS = 6 * 3600 * 1000;

/** The same on every try of one event: receivers deduplicate on it. */
export const webhookId = (deliveryId: string) => `msg_${deliveryId}`;

export type DeliveryResult = "delivered" | "retrying" | "failed" | "not_ours";

type Claimed = {
  id: string;
  user_id: string;
  lead_id: string | null;
  endpoint_id: string;
  event: string;
  payload: string | null;
  attempts: number;
  created_at: Date | string;
  url: string;
  secret: string;
  endpoint_status: string;
};

/**
 * One try of one delivery. The try is claimed in PostgreSQL first (its number must be the next, and no other
 * claim may be live), so a job delivered twice by the queue sends once; a worker that dies mid-send leaves its
 * claim to lapse and the sweep hands the next try out. The body is fixed at the first try and signed anew each
 * time (the timestamp is part of the signature), always under the same webhook-id.
 */
export async function deliverWebhook(deps: DeliveryDeps, job: DeliveryJob): Promise<DeliveryResult> {
  const { db, settings } = deps;
  const timeoutMs = settings.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const claimed = await db.execute<Claimed>(sql`
    update webhook_deliveries d
       set attempts = d.attempts + 1, lease_until = now() + ${`${timeoutMs + 5_000} milliseconds`}::interval
      from webhook_endpoints e
     where d.id = ${job.deliveryId} and e.id = d.endpoint_id and d.status = 'pending'
       and d.attempts = ${job.attempt - 1} and (d.lease_until is null or d.lease_until < now())
    returning d.id, d.user_id, d.lead_id, d.endpoint_id, d.event, d.payload, d.attempts, d.created_at,
              e.url, e.secret, e.status as endpoint_status`);
  const delivery = claimed.rows[0];
  if (!delivery) return "not_ours";
  if (delivery.endpoint_status !== "active") {
    await settle(db, delivery, { status: "failed", error: "the endpoint is disabled" });
    return "failed";
  }

  const body = delivery.payload ?? (await fixPayload(db, delivery));
  const now = new Date();
  const id = webhookId(delivery.id);
  const headers = {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(delivery.secret).sign(id, now, body),
  };
  const outcome = await postWebhook(delivery.url, headers, body, {
    allowPrivate: settings.allowPrivate,
    timeoutMs,
  });
  return settleOutcome(deps, delivery, outcome);
}

async function settleOutcome(deps: DeliveryDeps, delivery: Claimed, outcome: SendOutcome) {
  const { db, settings, log } = deps;
  const code = "statusCode" in outcome ? outcome.statusCode : null;
  const logged = { delivery_id: delivery.id, endpoint_id: delivery.endpoint_id, attempt: delivery.attempts };
  if (code !== null && code >= 200 && code < 300) {
    await settle(db, delivery, { status: "delivered", code });
    return "delivered" as const;
  }
  const error = "error" in outcome ? outcome.error : `answered HTTP ${code}`;
  if (code === 410) {
    // Gone: the receiver asks us to stop, so the endpoint is disabled and nothing more is sent to it.
    await settle(db, delivery, { status: "failed", code, error });
    await db.execute(sql`
      update webhook_endpoints set status = 'disabled', updated_at = now() where id = ${delivery.endpoint_id}`);
    log.warn(logged, "webhook endpoint answered 410: disabled");
    return "failed" as const;
  }
  if (delivery.attempts >= settings.maxAttempts) {
    await settle(db, delivery, { status: "failed", code, error });
    log.warn({ ...logged, error }, "webhook delivery failed for good");
    return "failed" as const;
  }
  const delayMs = retryDelayMs(
    delivery.attempts,
    null,
    { baseMs: settings.backoffBaseMs, capMs: WEBHOOK_BACKOFF_CAP_MS, maxRetryAfterMs: 0 },
    deps.random,
  );
  await settle(db, delivery, { status: "pending", code, error, retryInMs: delayMs });
  try {
    await deps.queue.enqueue([{ deliveryId: delivery.id, attempt: delivery.attempts + 1 }], { delayMs });
  } catch (err) {
    // The sweep enqueues it when it is due.
    log.warn({ ...logged, err }, "could not enqueue a webhook retry");
  }
  return "retrying" as const;
}

/** Writes a try's outcome, only while the claim is still this try's. */
function settle(
  db: Database,
  delivery: Claimed,
  result: {
    status: "delivered" | "failed" | "pending";
    code?: number | null;
    error?: string;
    retryInMs?: number;
  },
) {
  return db.execute(sql`
    update webhook_deliveries
       set status = ${result.status}, last_status_code = ${result.code ?? null}, last_error = ${result.error ?? null},
           lease_until = null, enqueued_at = case when ${result.retryInMs ?? null}::int is null then null else now() end,
           delivered_at = case when ${result.status} = 'delivered' then now() end,
           next_attempt_at = case when ${result.retryInMs ?? null}::int is null then next_attempt_at
                                  else now() + make_interval(secs => ${(result.retryInMs ?? 0) / 1000}) end
     where id = ${delivery.id} and attempts = ${delivery.attempts} and status = 'pending'`);
}

/** The body of every try: the event, when it happened, and the lead as GET /leads/:id shows it at the first try. */
async function fixPayload(db: Database, delivery: Claimed) {
  const lead = delivery.lead_id ? await getLeadIn(db, delivery.user_id, delivery.lead_id) : null;
  const payload = {
    type: delivery.event,
    timestamp: new Date(delivery.created_at).toISOString(),
    data: { lead },
  };
  const body = JSON.stringify(payload);
  const stored = await db.execute<{ payload: string }>(sql`
    update webhook_deliveries set payload = coalesce(payload, ${body})
     where id = ${delivery.id} returning payload`);
  return stored.rows[0]?.payload ?? body;
}
