import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead, startTestApi, type TestApi } from "../support/api.ts";
import { startReceiver } from "../support/webhook-receiver.ts";
import { lambdaContext, queueArn, sqsEvent, sqsRecord, sqsRecordFromMessage } from "./lambda-events.ts";

// Outbound webhooks on AWS: the dispatcher Lambda (a schedule) hands due outbox rows to an SQS queue, and the
// webhook Lambda consumes it, one try per message. Both are invoked in-process as AWS would, against the real
// PostgreSQL, an SQS of this process (fauxqs, read through the real AWS SDK) and a real local receiver.

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
type Handler = (...args: any[]) => Promise<any>;

let fauxqs: FauxqsServer;
let sqs: SQSClient;
let receiver: Receiver;
let api: TestApi;
let queueUrl: string;
let dispatch: Handler;
let consume: Handler;
let closeDatabase: () => Promise<void>;
const savedEnv = { ...process.env };

beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false });
  sqs = new SQSClient({
    region: "us-east-1",
    endpoint: fauxqs.address,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  queueUrl = fauxqs.createQueue("leadflow-webhooks").queueUrl;
  const stepQueue = (step: string) => fauxqs.createQueue(`leadflow-wh-${step}`).queueUrl;
  receiver = await startReceiver();
  // The API (in-process, as the tests run it) records the changes; the outbox is written by their statements.
  api = await startTestApi({ WEBHOOK_ALLOW_PRIVATE: "true" });
  Object.assign(process.env, {
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    QUEUE_DRIVER: "sqs",
    SQS_QUEUE_URL_CLASSIFY: stepQueue("classify"),
    SQS_QUEUE_URL_EXTRACT: stepQueue("extract"),
    SQS_QUEUE_URL_ROUTE: stepQueue("route"),
    SQS_QUEUE_URL_WEBHOOKS: queueUrl,
    SQS_ENDPOINT: fauxqs.address,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    RATE_LIMIT_STORE: "postgres",
    WEBHOOK_ALLOW_PRIVATE: "true",
    // A retry within SQS's 15-minute delay is sent delayed; the tests read it after at most a few seconds.
    WEBHOOK_BACKOFF_BASE_MS: "1000",
  });
  dispatch = (await import("../../functions/lambda/webhook-dispatch.ts")).handler;
  consume = (await import("../../functions/lambda/webhooks.ts")).handler;
  closeDatabase = async () => (await import("../../functions/lambda/deps.ts")).lambdaDatabase().close();
});

afterAll(async () => {
  await closeDatabase?.();
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
  await api?.close();
  await receiver?.close();
  sqs?.destroy();
  await fauxqs?.stop();
});

async function receiveAll(waitSeconds = 1) {
  const got = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"],
    }),
  );
  return got.Messages ?? [];
}

/** Hands the received messages to the webhook Lambda as its event source mapping would. */
const consumeMessages = async (messages: Awaited<ReturnType<typeof receiveAll>>) =>
  consume(
    sqsEvent(...messages.map((m) => sqsRecordFromMessage(m, queueArn("leadflow-webhooks")))),
    lambdaContext(),
  );

/** A user, an endpoint on the receiver for `lead.handled`, and a lead answered: one outbox row. */
async function answeredLead(path: string) {
  const { token } = await api.signup();
  const created = await api.call("POST", "/webhook-endpoints", {
    token,
    body: { url: receiver.url(path), events: ["lead.handled"] },
  });
  expect(created.status).toBe(201);
  const lead = await api.call("POST", "/leads", { token, body: sampleLead() });
  const handled = await api.call("POST", `/leads/${lead.json.id}/handling`, {
    token,
    body: { state: "answered" },
  });
  expect(handled.status).toBe(200);
  const deliveries = async () =>
    (await api.call("GET", `/webhook-endpoints/${created.json.id}/deliveries`, { token })).json.items;
  return {
    token,
    endpoint: created.json as { id: string; secret: string },
    leadId: lead.json.id,
    deliveries,
  };
}

describe("outbound webhooks on Lambda", () => {
  it("the dispatcher enqueues a new event on SQS and the consumer delivers it signed, once", async () => {
    const { endpoint, leadId, deliveries } = await answeredLead("/lambda-once");
    expect(await dispatch()).toEqual({ enqueued: 1 });
    // Handed out once: a second round finds it already enqueued.
    expect(await dispatch()).toEqual({ enqueued: 0 });
    const messages = await receiveAll();
    expect(messages.map((m) => JSON.parse(m.Body ?? ""))).toEqual([
      { deliveryId: (await deliveries())[0].id, attempt: 1 },
    ]);

    expect(await consumeMessages(messages)).toEqual({ batchItemFailures: [] });
    const [receipt] = receiver.receipts.filter((r) => r.path === "/lambda-once");
    const verified = new Webhook(endpoint.secret).verify(receipt!.body, {
      "webhook-id": String(receipt!.headers["webhook-id"]),
      "webhook-timestamp": String(receipt!.headers["webhook-timestamp"]),
      "webhook-signature": String(receipt!.headers["webhook-signature"]),
    }) as { type: string; data: { lead: { id: string; handling: { state: string } } } };
    expect(verified).toMatchObject({
      type: "lead.handled",
      data: { lead: { id: leadId, handling: { state: "answered" } } },
    });
    expect(await deliveries()).toMatchObject([{ status: "delivered", attempts: 1, last_status_code: 200 }]);

    // SQS delivers at least once: the same message again sends nothing.
    expect(await consumeMessages(messages)).toEqual({ batchItemFailures: [] });
    expect(receiver.receipts.filter((r) => r.path === "/lambda-once")).toHaveLength(1);
  });

  it("a failed try is retried from a delayed SQS message, under the same webhook-id", async () => {
    receiver.answerWith((r, seenBefore) => ({
      status: r.path === "/lambda-retry" && seenBefore === 0 ? 500 : 200,
    }));
    const { deliveries } = await answeredLead("/lambda-retry");
    await dispatch();
    expect(await consumeMessages(await receiveAll())).toEqual({ batchItemFailures: [] });
    expect(await deliveries()).toMatchObject([{ status: "pending", attempts: 1, last_status_code: 500 }]);

    // The retry was sent delayed by the backoff (about a second here): it arrives by itself, no sweep needed.
    let retry: Awaited<ReturnType<typeof receiveAll>> = [];
    for (let i = 0; i < 10 && retry.length === 0; i++) retry = await receiveAll(2);
    expect(retry.map((m) => JSON.parse(m.Body ?? "").attempt)).toEqual([2]);
    expect(await consumeMessages(retry)).toEqual({ batchItemFailures: [] });

    const tries = receiver.receipts.filter((r) => r.path === "/lambda-retry");
    expect(tries.map((r) => r.answered)).toEqual([500, 200]);
    expect(new Set(tries.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(await deliveries()).toMatchObject([{ status: "delivered", attempts: 2 }]);
    receiver.answerWith(() => ({ status: 200 }));
  });

  it("a retry due later than SQS can delay is left to the dispatcher, which hands it out once due", async () => {
    receiver.answerWith((r, seenBefore) => ({
      status: r.path === "/lambda-late" && seenBefore === 0 ? 503 : 200,
    }));
    const { deliveries } = await answeredLead("/lambda-late");
    await dispatch();
    const [first] = await receiveAll();
    expect(await consumeMessages([first!])).toEqual({ batchItemFailures: [] });
    const [pending] = await deliveries();
    expect(pending).toMatchObject({ status: "pending", attempts: 1 });
    // Drain the (short) delayed retry SQS was given, standing in for one SQS could not hold.
    let delayed: Awaited<ReturnType<typeof receiveAll>> = [];
    for (let i = 0; i < 10 && delayed.length === 0; i++) delayed = await receiveAll(2);
    expect(delayed).toHaveLength(1);
    // Not due yet: the dispatcher leaves it alone.
    await api.deps.database.pool.query(
      "update webhook_deliveries set next_attempt_at = now() + interval '5 hours', enqueued_at = now() - interval '2 minutes' where id = $1",
      [pending.id],
    );
    expect(await dispatch()).toEqual({ enqueued: 0 });
    // Five hours later (the clock moved back instead): due, and handed out again.
    await api.deps.database.pool.query(
      "update webhook_deliveries set next_attempt_at = now() - interval '1 second' where id = $1",
      [pending.id],
    );
    expect(await dispatch()).toEqual({ enqueued: 1 });
    const due = await receiveAll();
    expect(due.map((m) => JSON.parse(m.Body ?? ""))).toEqual([{ deliveryId: pending.id, attempt: 2 }]);
    expect(await consumeMessages(due)).toEqual({ batchItemFailures: [] });
    expect(await deliveries()).toMatchObject([{ status: "delivered", attempts: 2 }]);
    receiver.answerWith(() => ({ status: 200 }));
  });

  it("sends no message for a try due later than SQS can delay one (15 minutes)", async () => {
    const { createSqsDeliveryQueue } = await import("@leadflow/core/queue/deliveries-sqs");
    const own = fauxqs.createQueue("leadflow-webhooks-delays").queueUrl;
    const queue = createSqsDeliveryQueue({ queueUrl: own, region: "us-east-1", endpoint: fauxqs.address });
    const job = { deliveryId: "6f1f0c43-6d1e-4c39-9a0e-4b8f4f1d2a10", attempt: 3 };
    await queue.enqueue([job], { delayMs: 16 * 60_000 });
    expect(fauxqs.inspectQueue("leadflow-webhooks-delays")?.messages.delayed ?? []).toHaveLength(0);
    await queue.enqueue([job], { delayMs: 14 * 60_000 });
    expect(fauxqs.inspectQueue("leadflow-webhooks-delays")?.messages.delayed ?? []).toHaveLength(1);
  });

  it("drops a message that is no delivery job instead of failing it forever", async () => {
    const before = receiver.receipts.length;
    const result = await consume(
      sqsEvent(
        sqsRecord("not a job", { queue: "leadflow-webhooks" }),
        sqsRecord(JSON.stringify({ deliveryId: "x" })),
      ),
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(receiver.receipts.length).toBe(before);
  });
});
