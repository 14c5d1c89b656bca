import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { startFetchLoops } from "./bullmq.ts";
import {
  type DeliveryJob,
  type DeliveryQueue,
  deliveryJobId,
  parseDeliveryJob,
  WEBHOOK_QUEUE_NAME,
} from "./deliveries.ts";
import { type Consumers, consumerEvents } from "./port.ts";

const KEEP_JOBS = { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 24 * 3600 } };

export function createBullmqDeliveryQueue(options: { redisUrl: string; prefix: string }): DeliveryQueue {
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  connection.on("error", () => {});
  const queue = new Queue(WEBHOOK_QUEUE_NAME, { connection, prefix: options.prefix });
  queue.on("error", () => {});
  return {
    async enqueue(jobs, { delayMs } = {}) {
      if (jobs.length === 0) return;
      // A finished job keeps its id for a while; a try that must run again (a resend, a sweep after a lost
      // claim) needs it free. A waiting, delayed or running job is left alone: adding it again is a no-op.
      const states = await Promise.all(jobs.map((job) => queue.getJobState(deliveryJobId(job))));
      await Promise.all(
        jobs.map((job, i) =>
          states[i] === "completed" || states[i] === "failed" ? queue.remove(deliveryJobId(job)) : null,
        ),
      );
      await queue.addBulk(
        jobs.map((job) => ({
          name: "deliver",
          data: job,
          opts: {
            jobId: deliveryJobId(job),
            delay: delayMs && delayMs > 0 ? Math.round(delayMs) : undefined,
            // Retries are decided in PostgreSQL (backoff, WEBHOOK_MAX_ATTEMPTS): one try, one job.
            attempts: 1,
            ...KEEP_JOBS,
          },
        })),
      );
    },
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

/**
 * The delivery queue's consumer, on the step queues' fetch loops and with their consumer events: a job that is
 * no DeliveryJob fails as any other throw.
 */
export function startBullmqDeliveryWorker(options: {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  handler: (job: DeliveryJob) => Promise<void>;
}): Consumers<DeliveryJob> {
  const events = consumerEvents<DeliveryJob>();
  const loops = startFetchLoops<DeliveryJob>(
    WEBHOOK_QUEUE_NAME,
    (job) => options.handler(parseDeliveryJob(job)),
    events,
    options,
  );
  return { ...events.listen, ...loops };
}
