import type { MessageAttributeValue, SQSClient } from "@aws-sdk/client-sqs";
import { z } from "zod";
import { type StepName, stepName } from "../schemas/workflow.ts";
import { type StepJob, type StepQueue, stepJobId } from "./port.ts";

/** SQS delays a message by at most 15 minutes. */
export const MAX_SQS_DELAY_SECONDS = 900;
/** Set on a message whose delay was longer than SQS allows: epoch ms before which it must not run. */
export const NOT_BEFORE_ATTRIBUTE = "NotBefore";
/** The deterministic job id, for logs and tracing (standard queues cannot deduplicate on it). */
export const JOB_ID_ATTRIBUTE = "JobId";

export interface SqsStepQueueOptions {
  queueUrls: Record<StepName, string>;
  /** A client of your own (tests, custom retries); otherwise one is made from region and endpoint. */
  client?: SQSClient;
  region?: string;
  /** An SQS-compatible server (fauxqs, LocalStack); unset on AWS. */
  endpoint?: string;
  now?: () => number;
}

export type SqsStepQueue = StepQueue & { queueUrls: Record<StepName, string> };

/**
 * The AWS SDK is loaded on the first enqueue, not at import: a Lambda instance whose first requests only read
 * (most of the API's) never pays for it, and in the Lambda bundles it is a chunk of its own.
 */
let sdk: Promise<typeof import("@aws-sdk/client-sqs")> | undefined;
const loadSdk = () => {
  sdk ??= import("@aws-sdk/client-sqs");
  return sdk;
};

/**
 * The SQS adapter of the step queue. The message body is the StepJob as JSON. Standard queues deliver at least
 * once and cannot deduplicate, so a duplicate message is expected: runStep's claim in PostgreSQL makes the
 * second delivery change nothing. A delay longer than SQS's 15 minutes is sent as 15 minutes plus a NotBefore
 * attribute, and the consumer sends it on again until it is due (see `remainingDelayMs`).
 */
export function createSqsStepQueue(options: SqsStepQueueOptions): SqsStepQueue {
  const now = options.now ?? Date.now;
  let client: Promise<SQSClient> | undefined;
  const getClient = () => {
    client ??= options.client
      ? Promise.resolve(options.client)
      : loadSdk().then(
          ({ SQSClient }) =>
            new SQSClient({
              region: options.region ?? regionFromQueueUrl(options.queueUrls.classify) ?? "us-east-1",
              ...(options.endpoint ? { endpoint: options.endpoint } : {}),
            }),
        );
    return client;
  };
  return {
    queueUrls: options.queueUrls,
    async enqueue(job, { delayMs } = {}) {
      const { delaySeconds, notBefore } = sqsDelay(delayMs ?? 0, now());
      const attributes: Record<string, MessageAttributeValue> = {
        [JOB_ID_ATTRIBUTE]: { DataType: "String", StringValue: stepJobId(job) },
      };
      if (notBefore !== undefined) {
        attributes[NOT_BEFORE_ATTRIBUTE] = { DataType: "Number", StringValue: String(notBefore) };
      }
      const [{ SendMessageCommand }, sqs] = await Promise.all([loadSdk(), getClient()]);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: options.queueUrls[job.step],
          MessageBody: serializeStepJob(job),
          DelaySeconds: delaySeconds,
          MessageAttributes: attributes,
        }),
      );
    },
    async ping() {
      // The cheapest call that proves each queue exists and that we may use it: one attribute of each.
      const [{ GetQueueAttributesCommand }, sqs] = await Promise.all([loadSdk(), getClient()]);
      await Promise.all(
        Object.values(options.queueUrls).map((QueueUrl) =>
          sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] })),
        ),
      );
    },
    async close() {
      // A client of the caller's stays open; one made here is ours to destroy.
      if (client && !options.client) (await client).destroy();
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
});

export const serializeStepJob = (job: StepJob) =>
  JSON.stringify({
    workflowId: job.workflowId,
    step: job.step,
    run: job.run,
    try: job.try,
    ...(job.takeover ? { takeover: job.takeover } : {}),
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
