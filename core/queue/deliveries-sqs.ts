import { type DeliveryJob, type DeliveryQueue, deliveryJobId, parseDeliveryJob } from "./deliveries.ts";
import { ENQUEUE_DEADLINE_MS, JOB_ID_ATTRIBUTE, MAX_SQS_DELAY_SECONDS, regionFromQueueUrl } from "./sqs.ts";
import { type AwsCredentials, createSqsHttpClient } from "./sqs-http.ts";

export interface SqsDeliveryQueueOptions {
  queueUrl: string;
  region?: string;
  endpoint?: string;
  credentials?: () => AwsCredentials;
  fetch?: typeof fetch;
}

/** Sends at once per enqueue: a sweep hands out up to a thousand tries, SQS takes each as its own call. */
const SEND_CONCURRENCY = 16;

/**
 * The SQS adapter of the webhook delivery queue; the body is the DeliveryJob as JSON. A try whose retry is due
 * later than SQS can delay a message (15 minutes) is not sent: its row says when it is due, and the dispatcher's
 * sweep (functions/lambda/webhook-dispatch.ts, every minute) hands it out then. Standard queues deliver at least
 * once; the claim in core/webhooks/deliver.ts makes a second delivery of a try send nothing.
 */
export function createSqsDeliveryQueue(options: SqsDeliveryQueueOptions): DeliveryQueue {
  const sqs = createSqsHttpClient({
    region: options.region ?? regionFromQueueUrl(options.queueUrl) ?? "us-east-1",
    endpoint: options.endpoint,
    deadlineMs: ENQUEUE_DEADLINE_MS,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const send = (job: DeliveryJob, delaySeconds: number) =>
    sqs.sendMessage({
      QueueUrl: options.queueUrl,
      MessageBody: serializeDeliveryJob(job),
      DelaySeconds: delaySeconds,
      MessageAttributes: { [JOB_ID_ATTRIBUTE]: { DataType: "String", StringValue: deliveryJobId(job) } },
    });
  return {
    async enqueue(jobs, { delayMs } = {}) {
      const delaySeconds = Math.ceil(Math.max(0, delayMs ?? 0) / 1000);
      if (delaySeconds > MAX_SQS_DELAY_SECONDS) return;
      for (let i = 0; i < jobs.length; i += SEND_CONCURRENCY) {
        await Promise.all(jobs.slice(i, i + SEND_CONCURRENCY).map((job) => send(job, delaySeconds)));
      }
    },
    async close() {
      // Nothing to release: each call is one fetch.
    },
  };
}

export const serializeDeliveryJob = (job: DeliveryJob) =>
  JSON.stringify({ deliveryId: job.deliveryId, attempt: job.attempt });

/** A message body that is no DeliveryJob: it can never be delivered, so it is dropped, not retried. */
export function parseDeliveryMessage(body: string): DeliveryJob | null {
  try {
    return parseDeliveryJob(JSON.parse(body));
  } catch {
    return null;
  }
}
