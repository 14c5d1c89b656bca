import type { Config } from "@leadflow/core/config";
import type { Database } from "@leadflow/core/db/client";
import { listen } from "@leadflow/core/db/listen";
import type { Logger } from "@leadflow/core/logger";
import { deliveryJobId } from "@leadflow/core/queue/deliveries";
import { createBullmqDeliveryQueue, startBullmqDeliveryWorker } from "@leadflow/core/queue/deliveries-bullmq";
import { deliverWebhook, deliverySettings } from "@leadflow/core/webhooks/deliver";
import { sweepDueDeliveries } from "@leadflow/core/webhooks/dispatch";

/** How often due deliveries are looked for besides the wake-ups: the safety net for lost jobs and claims. */
const SWEEP_INTERVAL_MS = 5_000;

/**
 * The worker's webhook part: a BullMQ processor that delivers each try, and a dispatcher that enqueues due
 * deliveries, woken by the outbox's NOTIFY and every few seconds, so a worker that was down (or killed between an
 * outbox write and its delivery) delivers the backlog when it comes back.
 */
export function startWebhookDelivery(config: Config, db: Database, log: Logger) {
  const queue = createBullmqDeliveryQueue({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX });
  const deps = {
    db,
    queue,
    log,
    settings: deliverySettings(config),
  };
  const worker = startBullmqDeliveryWorker({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    concurrency: config.WEBHOOK_CONCURRENCY,
    handler: async (job) => {
      const result = await deliverWebhook(deps, job);
      log.debug({ delivery_id: job.deliveryId, attempt: job.attempt, result }, "webhook try done");
    },
  });
  worker.onError((err) => log.error({ err }, "webhook worker error"));
  worker.onFailed((err, delivery) =>
    log.error({ err, job_id: delivery ? deliveryJobId(delivery.job) : undefined }, "webhook job threw"),
  );

  // Sweeps run one at a time; wake-ups during one fold into a single sweep after it.
  let running: Promise<void> | null = null;
  let again = false;
  const sweep = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = sweepDueDeliveries(db, queue)
      .then(() => undefined)
      .catch((err) => log.error({ err }, "webhook sweep failed"))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          void sweep();
        }
      });
    return running;
  };
  const listener = listen(
    config.DATABASE_APP_URL ?? config.DATABASE_URL,
    "webhook_deliveries",
    () => void sweep(),
    {
      onReconnect: () => void sweep(),
      onError: (err) => log.warn({ err }, "webhook listener lost its connection"),
    },
  );
  void listener.ready.then(sweep);
  const timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS);

  let closing: Promise<void> | undefined;
  return {
    sweep,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await listener.close();
        await running;
        await worker.close();
        await queue.close();
      })();
      return closing;
    },
  };
}
