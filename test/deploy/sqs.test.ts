import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { StepJob } from "@leadflow/core/queue/port";
import {
  createSqsStepQueue,
  JOB_ID_ATTRIBUTE,
  MAX_SQS_DELAY_SECONDS,
  NOT_BEFORE_ATTRIBUTE,
  PoisonMessageError,
  parseStepJob,
  regionFromQueueUrl,
  remainingDelayMs,
  type SqsStepQueue,
  sqsDelay,
} from "@leadflow/core/queue/sqs";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The SQS adapter with the real AWS SDK against fauxqs, an SQS-compatible server running in this process.
let server: FauxqsServer;
let client: SQSClient;
let queue: SqsStepQueue;
let urls: Record<"classify" | "extract" | "route", string>;
let dlqUrl: string;
const MAX_RECEIVES = 2;

beforeAll(async () => {
  server = await startFauxqs({ port: 0, logger: false });
  client = new SQSClient({
    region: "us-east-1",
    endpoint: server.address,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const dlq = server.createQueue("leadflow-classify-dlq");
  dlqUrl = dlq.queueUrl;
  const redrive = JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: MAX_RECEIVES });
  urls = {
    classify: server.createQueue("leadflow-classify", {
      attributes: { VisibilityTimeout: "1", RedrivePolicy: redrive },
    }).queueUrl,
    extract: server.createQueue("leadflow-extract").queueUrl,
    route: server.createQueue("leadflow-route").queueUrl,
  };
  queue = createSqsStepQueue({ queueUrls: urls, client });
});
afterAll(async () => {
  await queue?.close();
  client?.destroy();
  await server?.stop();
});

const job = (step: StepJob["step"] = "classify", extra: Partial<StepJob> = {}): StepJob => ({
  workflowId: randomUUID(),
  step,
  run: 1,
  try: 1,
  ...extra,
});

async function receive(url: string, waitSeconds = 0): Promise<Message[]> {
  const res = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"],
    }),
  );
  return res.Messages ?? [];
}

describe("SQS step queue against fauxqs", () => {
  it("sends each job to its step's queue with the StepJob as the body", async () => {
    const first = job("extract", { run: 2, try: 3 });
    await queue.enqueue(first);
    const [message, ...rest] = await receive(urls.extract, 1);
    expect(rest).toEqual([]);
    expect(JSON.parse(message!.Body!)).toEqual(first);
    expect(parseStepJob(message!.Body!)).toEqual(first);
    expect(message!.MessageAttributes?.[JOB_ID_ATTRIBUTE]?.StringValue).toBe(
      `${first.workflowId}.extract.r2.t3`,
    );
    expect(message!.MessageAttributes?.[NOT_BEFORE_ATTRIBUTE]).toBeUndefined();
    expect(await receive(urls.route)).toEqual([]);
    await client.send(
      new DeleteMessageCommand({ QueueUrl: urls.extract, ReceiptHandle: message!.ReceiptHandle }),
    );
  });

  it("keeps a delayed message invisible until its delay has passed", async () => {
    const delayed = job("route");
    const sentAt = Date.now();
    await queue.enqueue(delayed, { delayMs: 1_500 }); // DelaySeconds: 2
    // Receives (long polls of 1 s) find nothing until the delay is over; the one that finds it returns after.
    let messages: Message[] = [];
    let emptyReceives = 0;
    const deadline = Date.now() + 20_000;
    while (messages.length === 0 && Date.now() < deadline) {
      messages = await receive(urls.route, 1);
      if (messages.length === 0) emptyReceives++;
    }
    expect(Date.now() - sentAt, "visible only once its delay was over").toBeGreaterThanOrEqual(1_900);
    expect(emptyReceives).toBeGreaterThan(0);
    expect(messages.map((m) => JSON.parse(m.Body!))).toEqual([delayed]);
  });

  it("moves a message that exhausts its receive count to the dead-letter queue, body intact", async () => {
    const doomed = job("classify");
    await queue.enqueue(doomed);
    // A consumer that never deletes it: every receive counts, and the visibility timeout hands it back.
    const counts: string[] = [];
    const deadline = Date.now() + 30_000;
    while (counts.length < MAX_RECEIVES && Date.now() < deadline) {
      for (const m of await receive(urls.classify, 2))
        counts.push(m.Attributes?.ApproximateReceiveCount ?? "");
    }
    expect(counts).toEqual(["1", "2"]);
    let dead: Message[] = [];
    while (dead.length === 0 && Date.now() < deadline) {
      expect(await receive(urls.classify, 1)).toEqual([]);
      dead = await receive(dlqUrl, 1);
    }
    expect(dead).toHaveLength(1);
    expect(parseStepJob(dead[0]!.Body!)).toEqual(doomed);
    expect(dead[0]!.MessageAttributes?.[JOB_ID_ATTRIBUTE]?.StringValue).toBe(
      `${doomed.workflowId}.classify.r1.t1`,
    );
  });

  it("sends a delay longer than 15 minutes as 15 minutes plus the time it is due", async () => {
    const now = 1_000_000;
    expect(sqsDelay(0, now)).toEqual({ delaySeconds: 0 });
    expect(sqsDelay(1_200, now)).toEqual({ delaySeconds: 2 });
    expect(sqsDelay(900_000, now)).toEqual({ delaySeconds: MAX_SQS_DELAY_SECONDS });
    expect(sqsDelay(3_600_000, now)).toEqual({
      delaySeconds: MAX_SQS_DELAY_SECONDS,
      notBefore: now + 3_600_000,
    });
    expect(remainingDelayMs(String(now + 2_700_000), now)).toBe(2_700_000);
    expect(remainingDelayMs(String(now - 1), now)).toBe(0);
    expect(remainingDelayMs(undefined, now)).toBe(0);

    // Through the real client the attribute travels with the message.
    const late = createSqsStepQueue({ queueUrls: urls, client, now: () => now });
    const longJob = job("extract");
    await late.enqueue(longJob, { delayMs: 3_600_000 });
    expect(await receive(urls.extract)).toEqual([]);
    const waiting = server.inspectQueue("leadflow-extract")?.messages.delayed ?? [];
    const sent = waiting.find((m) => m.body === JSON.stringify(longJob));
    expect(sent?.messageAttributes?.[NOT_BEFORE_ATTRIBUTE]?.StringValue).toBe(String(now + 3_600_000));
    expect((sent?.delayUntil ?? 0) - (sent?.sentTimestamp ?? 0)).toBe(MAX_SQS_DELAY_SECONDS * 1000);
  });

  it("carries a reconciler takeover in the body and the job id", async () => {
    const takeover = job("route", { takeover: "x1a2b3c4d" });
    await queue.enqueue(takeover);
    const [message] = await receive(urls.route, 1);
    expect(parseStepJob(message!.Body!)).toEqual(takeover);
    expect(message!.MessageAttributes?.[JOB_ID_ATTRIBUTE]?.StringValue).toBe(
      `${takeover.workflowId}.route.r1.t1.x1a2b3c4d`,
    );
    await client.send(
      new DeleteMessageCommand({ QueueUrl: urls.route, ReceiptHandle: message!.ReceiptHandle }),
    );
  });

  it("refuses a body that is not a step job", () => {
    for (const body of ["", "not json", "{}", '{"workflowId":"x","step":"classify","run":1,"try":1}']) {
      expect(() => parseStepJob(body)).toThrow(PoisonMessageError);
    }
    expect(() =>
      parseStepJob(JSON.stringify({ workflowId: randomUUID(), step: "deploy", run: 1, try: 1 })),
    ).toThrow(PoisonMessageError);
  });

  it("reads the region from AWS and fauxqs queue URLs", () => {
    expect(regionFromQueueUrl("https://sqs.eu-west-1.amazonaws.com/123456789012/q")).toBe("eu-west-1");
    expect(regionFromQueueUrl(urls.classify)).toBe("us-east-1");
    expect(regionFromQueueUrl("not a url")).toBeUndefined();
  });
});
