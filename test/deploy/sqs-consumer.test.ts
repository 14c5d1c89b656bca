import { randomUUID } from "node:crypto";
import { type Message, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { StepDelivery, StepJob } from "@leadflow/core/queue/port";
import {
  createSqsStepQueue,
  NOT_BEFORE_ATTRIBUTE,
  PoisonMessageError,
  type SqsStepQueue,
} from "@leadflow/core/queue/sqs";
import { createSqsStepConsumer } from "@leadflow/core/queue/sqs-consumer";
import type { FauxqsServer } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFauxqsWithClient } from "./fauxqs.ts";
import { queueArn, sqsRecord, sqsRecordFromMessage } from "./lambda-events.ts";

// What the SQS adapter tells of its queues, and its consumer side, against fauxqs with the real AWS SDK receiving.
let server: FauxqsServer;
let client: SQSClient;
let queue: SqsStepQueue;
let urls: Record<"classify" | "extract" | "route", string>;

beforeAll(async () => {
  ({ server, client } = await startFauxqsWithClient());
  urls = {
    classify: server.createQueue("consumer-classify").queueUrl,
    extract: server.createQueue("consumer-extract").queueUrl,
    route: server.createQueue("consumer-route").queueUrl,
  };
  queue = createSqsStepQueue({
    queueUrls: urls,
    endpoint: server.address,
    credentials: () => ({ accessKeyId: "test", secretAccessKey: "test" }),
  });
});
afterAll(async () => {
  await queue?.close();
  client?.destroy();
  await server?.stop();
});

const job = (step: StepJob["step"]): StepJob => ({ workflowId: randomUUID(), step, run: 1, try: 1 });

/** Receives from the queue until `sent`'s message comes (others stay in flight), as a consumer of it would. */
async function receiveJob(url: string, sent: StepJob): Promise<Message> {
  for (let round = 0; round < 10; round++) {
    const res = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const message = res.Messages?.find((m) => m.Body?.includes(sent.workflowId));
    if (message) return message;
  }
  throw new Error(`${sent.workflowId} never arrived on ${url}`);
}

describe("SQS step queue inspection", () => {
  it("counts each step queue's visible, delayed and in-flight messages, and knows no consumers", async () => {
    // Queues of this case's own: the consumer cases below leave messages in flight on the shared ones.
    const own = {
      classify: server.createQueue("inspect-classify").queueUrl,
      extract: server.createQueue("inspect-extract").queueUrl,
      route: server.createQueue("inspect-route").queueUrl,
    };
    const queue = createSqsStepQueue({
      queueUrls: own,
      endpoint: server.address,
      credentials: () => ({ accessKeyId: "test", secretAccessKey: "test" }),
    });
    await queue.enqueue(job("extract"));
    await queue.enqueue(job("extract"));
    await queue.enqueue(job("route"), { delayMs: 60_000 });
    const received = await client.send(
      new ReceiveMessageCommand({ QueueUrl: own.extract, MaxNumberOfMessages: 1 }),
    );
    expect(received.Messages).toHaveLength(1);

    const stats = await queue.stats();
    expect(stats.extract).toEqual({
      waiting: 1,
      delayed: 0,
      active: 1,
      failed: null,
      oldestWaitingAgeMs: null,
    });
    expect(stats.route).toMatchObject({ waiting: 0, delayed: 1, active: 0 });
    expect(stats.classify).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    expect(await queue.consumers()).toBeNull();
  });
});

describe("SQS step consumer", () => {
  function consumerFor(handler: (job: StepJob) => Promise<string>) {
    const completed: StepDelivery[] = [];
    const failed: Array<{ err: Error; delivery: StepDelivery | undefined }> = [];
    const consumer = createSqsStepConsumer({ queue, handler });
    consumer.onCompleted((delivery) => completed.push(delivery));
    consumer.onFailed((err, delivery) => failed.push({ err, delivery }));
    return { consumer, completed, failed };
  }

  it("runs a received job and reports it with SQS's SentTimestamp as its enqueue time", async () => {
    const sent = job("classify");
    const before = Date.now();
    await queue.enqueue(sent);
    const message = await receiveJob(urls.classify, sent);
    const ran: StepJob[] = [];
    const { consumer, completed, failed } = consumerFor(async (j) => {
      ran.push(j);
      return "completed";
    });

    expect(await consumer.consume(sqsRecordFromMessage(message, queueArn("consumer-classify")))).toEqual({
      job: sent,
      ran: "completed",
    });
    expect(ran).toEqual([sent]);
    expect(completed).toEqual([{ job: sent, enqueuedAt: Number(message.Attributes?.SentTimestamp) }]);
    expect(completed[0]!.enqueuedAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(failed).toEqual([]);
  });

  it("reports a delivery whose handler threw, and a body that is no job, as failed, and rethrows", async () => {
    const sent = job("extract");
    await queue.enqueue(sent);
    const message = await receiveJob(urls.extract, sent);
    const { consumer, completed, failed } = consumerFor(async () => {
      throw new Error("database away");
    });

    await expect(
      consumer.consume(sqsRecordFromMessage(message, queueArn("consumer-extract"))),
    ).rejects.toThrow("database away");
    const poison = sqsRecord("{not a step job", { queue: "consumer-extract" });
    await expect(consumer.consume(poison)).rejects.toBeInstanceOf(PoisonMessageError);

    expect(completed).toEqual([]);
    expect(failed.map((f) => [f.err.message, f.delivery?.job])).toEqual([
      ["database away", sent],
      ["message body is not JSON", undefined],
    ]);
  });

  it("sends a message that is not due yet on, without running it or reporting a delivery", async () => {
    const sent = job("route");
    const notBefore = Date.now() + 20 * 60_000;
    const record = sqsRecord(JSON.stringify(sent), { queue: "consumer-route" });
    record.messageAttributes[NOT_BEFORE_ATTRIBUTE] = { dataType: "Number", stringValue: String(notBefore) };
    const { consumer, completed, failed } = consumerFor(async () => {
      throw new Error("must not run");
    });
    const delayedBefore = (await queue.stats()).route.delayed;

    const result = await consumer.consume(record);
    expect(result).toMatchObject({ job: sent });
    expect("sentOnMs" in result && result.sentOnMs).toBeGreaterThan(19 * 60_000);
    expect((await queue.stats()).route.delayed).toBe(delayedBefore + 1);
    expect([completed, failed]).toEqual([[], []]);
  });
});
