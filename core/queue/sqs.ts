import { z } from "zod";
import type { Config } from "../config.ts";
import { type StepName, stepName } from "../schemas/workflow.ts";
import { type InspectableStepQueue, type QueueStats, type StepJob, stepJobId } from "./port.ts";
import { type AwsCredentials, createSqsHttpClient, type SqsMessageAttribute } from "./sqs-http.ts";

/** SQS delays a message by at most 15 minutes. */
export const MAX_SQS_DELAY_SECONDS = 900;
/** Set on a message whose delay was longer than SQS allows: epoch ms before which it must not run. */
export const NOT_BEFORE_ATTRIBUTE = "NotBefore";
/**
 * Every caller enqueues after its commit and leaves a failed enqueue to the reconciler, so an enqueue must fail
 * fast rather than hold an HTTP answer (the API Lambda stops at 30 s) or a step's batch hostage to SQS: at most
 * this long, attempts and backoff included, as the BullMQ adapter's ENQUEUE_TIMEOUT_MS.
 */
export const ENQUEUE_DEADLINE_MS = 5_000;
/** The deterministic job id, for logs and tracing (standard queues cannot deduplicate on it). */
export const JOB_ID_ATTRIBUTE = "JobId";

export interface SqsStepQueueOptions {
  queueUrls: Record<StepName, string>;
  /** The signing region; by default the one the classify queue's URL names, else us-east-1. */
  region?: string;
  /** An SQS-compatible server (fauxqs, LocalStack); unset on AWS, where each queue URL names its endpoint. */
  endpoint?: string;
  /** By default from the environment, as Lambda provides them (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, …). */
  credentials?: () => AwsCredentials;
  /** How long one enqueue may take, retries included (ENQUEUE_DEADLINE_MS by default). */
  enqueueDeadlineMs?: number;
  /** For tests: the HTTP client and how retries wait. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type SqsStepQueue = InspectableStepQueue & { queueUrls: Record<StepName, string> };

/** SQS's approximate counts, as the port's: visible, delayed, and received but not yet deleted (in flight). */
const COUNT_ATTRIBUTES = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesDelayed",
  "ApproximateNumberOfMessagesNotVisible",
];

/**
 * The SQS adapter of the step queue. The message body is the StepJob as JSON. Standard queues deliver at least
 * once and cannot deduplicate, so a duplicate message is expected: runStep's claim in PostgreSQL makes the
 * second delivery change nothing. A delay longer than SQS's 15 minutes is sent as 15 minutes plus a NotBefore
 * attribute, and the consumer sends it on again until it is due (see `remainingDelayMs`). Sending is SQS's
 * SendMessage over fetch (./sqs-http.ts), not the AWS SDK: with GetQueueAttributes for `ping`, it is the only
 * call the producer makes.
 */
export function createSqsStepQueue(options: SqsStepQueueOptions): SqsStepQueue {
  const now = options.now ?? Date.now;
  const sqs = createSqsHttpClient({
    region: options.region ?? regionFromQueueUrl(options.queueUrls.classify) ?? "us-east-1",
    endpoint: options.endpoint,
    deadlineMs: options.enqueueDeadlineMs ?? ENQUEUE_DEADLINE_MS,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  return {
    queueUrls: options.queueUrls,
    async enqueue(job, { delayMs } = {}) {
      const { delaySeconds, notBefore } = sqsDelay(delayMs ?? 0, now());
      const attributes: Record<string, SqsMessageAttribute> = {
        [JOB_ID_ATTRIBUTE]: { DataType: "String", StringValue: stepJobId(job) },
      };
      if (notBefore !== undefined) {
        attributes[NOT_BEFORE_ATTRIBUTE] = { DataType: "Number", StringValue: String(notBefore) };
      }
      await sqs.sendMessage({
        QueueUrl: options.queueUrls[job.step],
        MessageBody: serializeStepJob(job),
        DelaySeconds: delaySeconds,
        MessageAttributes: attributes,
      });
    },
    async ping() {
      // The cheapest call that proves each queue exists and that we may use it: one attribute of each, once
      // (a readiness check answers now rather than after retries).
      await Promise.all(
        Object.values(options.queueUrls).map((QueueUrl) =>
          sqs.getQueueAttributes({ QueueUrl, AttributeNames: ["QueueArn"] }, { attempts: 1 }),
        ),
      );
    },
    async stats() {
      const entries = await Promise.all(
        Object.entries(options.queueUrls).map(async ([step, QueueUrl]) => {
          const attributes = await sqs.getQueueAttributes({ QueueUrl, AttributeNames: COUNT_ATTRIBUTES });
          const count = (name: string) => Number(attributes[name] ?? 0);
          return [
            step,
            {
              waiting: count("ApproximateNumberOfMessages"),
              delayed: count("ApproximateNumberOfMessagesDelayed"),
              active: count("ApproximateNumberOfMessagesNotVisible"),
              failed: null,
              oldestWaitingAgeMs: null,
            },
          ] as const;
        }),
      );
      return Object.fromEntries(entries) as QueueStats;
    },
    async consumers() {
      return null;
    },
    async pendingJobIds() {
      return null;
    },
    async close() {
      // Nothing to release: each call is one fetch, over Node's shared connection pool.
    },
  };
}

/** The SQS delay for a wanted delay: whole seconds, at most 15 minutes, and when it is due if that is later. */
export function sqsDelay(delayMs: number, now: number): { delaySeconds: number; notBefore?: number } {
  const ms = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
  const seconds = Math.ceil(ms / 1000);
  if (seconds <= MAX_SQS_DELAY_SECONDS) return { delaySeconds: seconds };
  return { delaySeconds: MAX_SQS_DELAY_SECONDS, notBefore: now + Math.round(ms) };
}

/** How long a received message must still wait (0 when due), from its NotBefore attribute if it has one. */
export function remainingDelayMs(notBefore: string | undefined, now: number): number {
  if (!notBefore) return 0;
  const due = Number(notBefore);
  return Number.isFinite(due) && due > now ? due - now : 0;
}

const stepJobSchema = z.object({
  workflowId: z.string().uuid(),
  step: stepName,
  run: z.number().int().positive(),
  try: z.number().int().positive(),
  takeover: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  wait: z.number().int().positive().optional(),
  reasked: z.number().int().min(0).optional(),
});

export const serializeStepJob = (job: StepJob) =>
  JSON.stringify({
    workflowId: job.workflowId,
    step: job.step,
    run: job.run,
    try: job.try,
    ...(job.takeover ? { takeover: job.takeover } : {}),
    ...(job.wait ? { wait: job.wait } : {}),
    ...(job.reasked ? { reasked: job.reasked } : {}),
  });

/** A message body that is not a StepJob: no delivery will ever make sense of it. */
export class PoisonMessageError extends Error {
  override name = "PoisonMessageError";
}

export function parseStepJob(body: string): StepJob {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PoisonMessageError("message body is not JSON");
  }
  const parsed = stepJobSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
    throw new PoisonMessageError(`message body is not a step job: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** `https://sqs.eu-west-1.amazonaws.com/123/q` and fauxqs's `http://sqs.us-east-1.localhost:4566/…` name a region. */
export function regionFromQueueUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return /^sqs[.-]([a-z0-9-]+)\./.exec(new URL(url).hostname)?.[1];
  } catch {
    return undefined;
  }
}

/** loadConfig has already refused QUEUE_DRIVER=sqs without the three URLs. */
export function sqsQueueUrls(config: Config): Record<StepName, string> {
  const {
    SQS_QUEUE_URL_CLASSIFY: classify,
    SQS_QUEUE_URL_EXTRACT: extract,
    SQS_QUEUE_URL_ROUTE: route,
  } = config;
  if (!classify || !extract || !route)
    throw new Error("QUEUE_DRIVER=sqs needs SQS_QUEUE_URL_{CLASSIFY,EXTRACT,ROUTE}");
  return { classify, extract, route };
}
