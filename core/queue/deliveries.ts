import { z } from "zod";

/**
 * One try of one webhook delivery. `attempt` is the try's number (1 for the first), so each try has a job id of
 * its own and a re-enqueue of the same try is a no-op; the delivery's row in PostgreSQL decides whether it runs.
 */
export interface DeliveryJob {
  deliveryId: string;
  attempt: number;
}

/**
 * The webhook delivery queue as core sees it, beside the step queues and built the same way: BullMQ on Redis
 * (deliveries-bullmq.ts) or SQS on Lambda (deliveries-sqs.ts). Retries are decided in PostgreSQL
 * (core/webhooks/deliver.ts), so a queue only has to carry a try, at most once on time; the sweep
 * (core/webhooks/dispatch.ts) hands out again any try that a queue lost or could not hold.
 */
export interface DeliveryQueue {
  enqueue(jobs: DeliveryJob[], options?: { delayMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export const WEBHOOK_QUEUE_NAME = "webhooks";
/** No `:` and never a bare integer, as BullMQ requires. */
export const deliveryJobId = (job: DeliveryJob) => `${job.deliveryId}.a${job.attempt}`;

const deliveryJobSchema = z.strictObject({ deliveryId: z.uuid(), attempt: z.number().int().positive() });
export const parseDeliveryJob = (value: unknown): DeliveryJob => deliveryJobSchema.parse(value);
