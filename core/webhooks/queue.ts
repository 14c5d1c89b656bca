import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { z } from "zod";
import { startFetchLoops } from "../queue/bullmq.ts";
import { type Consumers, consumerEvents } from "../queue/port.ts";

/**
 * One try of one webhook delivery. `attempt` is the try's number (1 for the first), so each try has a job id of
 * its own and a re-enqueue of the same try is a no-op; the delivery's row in PostgreSQL decides whether it runs.
 */
export interface DeliveryJob {
  deliveryId: string;
  attempt: number;
}

/** The delivery queue as core sees it, beside the step queues (core/queue) and built the same way. */
export interface DeliveryQueue {
  enqueue(jobs: DeliveryJob[], options?: { delayMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export const WEBHOOK_QUEUE_NAME = "webhooks";
/** No `:` and never a bare integer, as BullMQ requires. */
export const deliveryJobId = (job: DeliveryJob) => `${job.deliveryId}.a${job.attempt}`;

const deliveryJobSchema = z.strictObject({ deliveryId: z.uuid(), attempt: z.number().int().positive() });
export const parseDeliveryJob = (value: unknown): DeliveryJob => deliveryJobSchema.parse(value);

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
