import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { loadConfig } from "@leadflow/core/config";
import { connectDatabase } from "@leadflow/core/db/client";
import { createLogger } from "@leadflow/core/logger";
import type { StepJob, StepQueue } from "@leadflow/core/queue/port";
import { NOT_BEFORE_ATTRIBUTE } from "@leadflow/core/queue/sqs";
import { rateLimitKeyDigest } from "@leadflow/core/rate-limits/postgres";
import type { StepName } from "@leadflow/core/schemas/workflow";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../functions/api/app.ts";
import { createApiDeps } from "../../functions/api/deps.ts";
import { consumeStepMessages } from "../../functions/lambda/step-consumer.ts";
import { type Simulator, startSimulator } from "../../functions/simulator/server.ts";
import { sampleLead } from "../support/api.ts";
import {
  functionUrlEvent,
  lambdaContext,
  sqsEvent,
  sqsRecord,
  sqsRecordFromMessage,
  stepJobRecord,
} from "./lambda-events.ts";

// The Lambda handlers invoked in-process with the events AWS would send them: function URL events for the API,
// SQS events for the consumers. Their queue is fauxqs (SQS in this process, through the real AWS SDK), their
// database the run's PostgreSQL, their model the simulator. The test plays Lambda's event source mapping: it
// receives from a step queue, hands the records to that step's handler, and deletes the ones that succeeded.

type Handler<E, R> = (event: E, context: unknown) => Promise<R>;
type SqsHandler = Handler<SQSEvent, SQSBatchResponse>;

let simulator: Simulator;
let fauxqs: FauxqsServer;
let sqs: SQSClient;
/** What infra/ gives the API and the web server alike (sst.Secret ForwardingSecret). */
const WEB_FORWARDING_SECRET = "web-server-forwarding-secret-0123456789";
let apiHandler: Handler<
  ReturnType<typeof functionUrlEvent>,
  { statusCode: number; headers?: Record<string, string>; body: string }
>;
let deadLetterHandler: SqsHandler;
let stepHandlers: Record<StepName, SqsHandler>;
const queues = {} as Record<StepName, { url: string; arn: string }>;
let closeDeps: () => Promise<void>;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  fauxqs = await startFauxqs({ port: 0, logger: false });
  for (const step of ["classify", "extract", "route"] as const) {
    const q = fauxqs.createQueue(`leadflow-${step}`, { attributes: { VisibilityTimeout: "30" } });
    queues[step] = { url: q.queueUrl, arn: q.queueArn };
  }
  // What infra/ sets on AWS, pointed at the local stand-ins. The handlers read it on their first event.
  Object.assign(process.env, {
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    BCRYPT_COST: "10",
    QUEUE_DRIVER: "sqs",
    SQS_QUEUE_URL_CLASSIFY: queues.classify.url,
    SQS_QUEUE_URL_EXTRACT: queues.extract.url,
    SQS_QUEUE_URL_ROUTE: queues.route.url,
    SQS_ENDPOINT: fauxqs.address,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    LLM_PROVIDER: "simulator",
    OPENAI_BASE_URL: simulator.url,
    LLM_TIMEOUT_MS: "5000",
    DATABASE_POOL_SIZE: "5",
    // Low enough for the rate-limit test below, which counts per source address; the other tests sign up once.
    AUTH_RATE_LIMIT: "5",
    FORWARDING_SECRET: WEB_FORWARDING_SECRET,
  });
  sqs = new SQSClient({
    region: "us-east-1",
    endpoint: fauxqs.address,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  apiHandler = (await import("../../functions/lambda/api.ts")).handler as never;
  deadLetterHandler = (await import("../../functions/lambda/dead-letter.ts")).handler;
  stepHandlers = {
    classify: (await import("../../functions/lambda/classify.ts")).handler,
    extract: (await import("../../functions/lambda/extract.ts")).handler,
    route: (await import("../../functions/lambda/route.ts")).handler,
  };
  const { lambdaDatabase } = await import("../../functions/lambda/deps.ts");
  const { stepConsumerDeps } = await import("../../functions/lambda/step-consumer.ts");
  closeDeps = async () => {
    await stepConsumerDeps().runner.queue.close();
    await lambdaDatabase().close();
  };
});
afterAll(async () => {
  await closeDeps?.();
  sqs?.destroy();
  await fauxqs?.stop();
  await simulator?.close();
});

async function api(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; sourceIp?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await apiHandler(
    functionUrlEvent(method, path, { headers, body: options.body, sourceIp: options.sourceIp }),
    lambdaContext("leadflow-api"),
  );
  return { status: res.statusCode, headers: res.headers ?? {}, json: res.body ? JSON.parse(res.body) : null };
}

async function signup() {
  const res = await api("POST", "/auth/signup", {
    body: { email: `lambda-${randomUUID()}@example.test`, password: "correct horse battery" },
  });
  expect(res.status).toBe(201);
  return res.json.access_token as string;
}

async function submit(token: string, message?: string) {
  const res = await api("POST", "/leads", { token, body: sampleLead(message ? { message } : {}) });
  expect(res.status).toBe(202);
  return { leadId: res.json.id as string, workflowId: res.json.workflow.id as string };
}

/** Receives what the step's queue holds for one workflow, as Lambda would hand it over. */
async function take(step: StepName, workflowId: string, expected = 1): Promise<SQSRecord[]> {
  const records: SQSRecord[] = [];
  const deadline = Date.now() + 15_000;
  while (records.length < expected && Date.now() < deadline) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues[step].url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    for (const m of res.Messages ?? []) {
      const record = sqsRecordFromMessage(m, queues[step].arn);
      if (JSON.parse(record.body).workflowId === workflowId) records.push(record);
    }
  }
  return records;
}

async function nothingQueued(step: StepName, workflowId: string) {
  const res = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queues[step].url, MaxNumberOfMessages: 10 }),
  );
  return !(res.Messages ?? []).some((m) => m.Body?.includes(workflowId));
}

/** Like the event source mapping: invoke, then delete every record not reported as failed. */
async function deliver(step: StepName, records: SQSRecord[]) {
  const result = await stepHandlers[step](sqsEvent(...records), lambdaContext(`leadflow-${step}`));
  const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
  for (const r of records) {
    if (!failed.has(r.messageId) && r.receiptHandle) {
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queues[step].url, ReceiptHandle: r.receiptHandle }),
      );
    }
  }
  return result;
}

const lead = async (token: string, leadId: string) => (await api("GET", `/leads/${leadId}`, { token })).json;

/** Submits a lead and delivers its classify, extract and route messages in turn, checking each hand-on. */
async function carryToCompletion(token: string) {
  const { leadId, workflowId } = await submit(token);
  expect((await lead(token, leadId)).workflow.status).toBe("pending");

  const [classify, ...more] = await take("classify", workflowId);
  expect(more).toEqual([]);
  expect(JSON.parse(classify!.body)).toEqual({ workflowId, step: "classify", run: 1, try: 1 });
  expect(await deliver("classify", [classify!])).toEqual({ batchItemFailures: [] });

  const extract = await take("extract", workflowId);
  expect(JSON.parse(extract[0]!.body)).toEqual({ workflowId, step: "extract", run: 1, try: 1 });
  expect(await deliver("extract", extract)).toEqual({ batchItemFailures: [] });

  const route = await take("route", workflowId);
  expect(await deliver("route", route)).toEqual({ batchItemFailures: [] });
  return { leadId, workflowId, classify: classify! };
}

describe("Lambda handlers", () => {
  // One user for the cases below; each case makes the leads and messages it works on itself.
  let token: string;
  beforeAll(async () => {
    token = await signup();
  });

  it("carry a lead submitted through the API handler through classify, extract and route to completed", async () => {
    const { leadId } = await carryToCompletion(token);
    const done = await lead(token, leadId);
    expect(done.workflow.status).toBe("completed");
    expect(done.workflow.error).toBeNull();
    expect(done.workflow.steps.map((s: any) => [s.name, s.status, s.attempts])).toEqual([
      ["classify", "completed", 1],
      ["extract", "completed", 1],
      ["route", "completed", 1],
    ]);
    expect(done.workflow.steps[2].output.routing_decision).toBeTruthy();
  });

  it("run a redelivered message's step once: no model call, no attempt, no second hand-on", async () => {
    const completed = await carryToCompletion(token);
    const callsBefore = simulator.stats().byStep.classify;
    const before = await lead(token, completed.leadId);
    const attemptsBefore = (await api("GET", `/leads/${completed.leadId}/attempts`, { token })).json.items;

    const again = {
      ...completed.classify,
      attributes: { ...completed.classify.attributes, ApproximateReceiveCount: "2" },
    };
    // Twice in one batch too, as a standard queue may do.
    const result = await stepHandlers.classify(sqsEvent(again, again), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });

    expect(simulator.stats().byStep.classify).toBe(callsBefore);
    const after = await lead(token, completed.leadId);
    expect(after.workflow.steps).toEqual(before.workflow.steps);
    expect((await api("GET", `/leads/${completed.leadId}/attempts`, { token })).json.items).toEqual(
      attemptsBefore,
    );
    expect(await nothingQueued("extract", completed.workflowId)).toBe(true);
  });

  it("report a poison message in batchItemFailures and still process the rest of the batch", async () => {
    const { workflowId } = await submit(token);
    const [good] = await take("classify", workflowId);
    const poison = sqsRecord("{not a step job", { queue: "leadflow-classify" });
    const wrongShape = sqsRecord(JSON.stringify({ workflowId: "nope", step: "classify" }), {
      queue: "leadflow-classify",
    });
    const result = await deliver("classify", [poison, good!, wrongShape]);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [poison.messageId, wrongShape.messageId].sort(),
    );
    expect(await take("extract", workflowId)).toHaveLength(1);
  });

  it("report a message whose step could not run (database down) in batchItemFailures", async () => {
    const unreachable = connectDatabase("postgres://postgres@127.0.0.1:1/leadflow", 1);
    const sent: StepJob[] = [];
    const queue: StepQueue = { enqueue: async (job) => void sent.push(job), close: async () => {} };
    try {
      const job: StepJob = { workflowId: randomUUID(), step: "extract", run: 1, try: 1 };
      const record = stepJobRecord(job);
      const result = await consumeStepMessages(
        {
          log: createLogger({ level: "silent", name: "test" }),
          runner: {
            db: unreachable.db,
            queue,
            llm: { structured: () => Promise.reject(new Error("not called")) } as never,
            settings: {
              maxAttempts: 3,
              maxReasks: 1,
              leaseMs: 60_000,
              maxTakeovers: 3,
              userDailyTokenBudget: 0,
              pricing: { inputPerMillion: 0, outputPerMillion: 0 },
              backoff: { baseMs: 10, capMs: 10, maxRetryAfterMs: 10 },
            },
          },
        },
        "extract",
        sqsEvent(record),
      );
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
      expect(sent).toEqual([]);
    } finally {
      await unreachable.close();
    }
  });

  it("send a message that is not due yet on for the time left, without running it", async () => {
    const { workflowId } = await submit(token);
    const [record] = await take("classify", workflowId);
    const callsBefore = simulator.stats().byStep.classify;
    const notBefore = Date.now() + 20 * 60_000;
    const early: SQSRecord = {
      ...record!,
      messageAttributes: {
        ...record!.messageAttributes,
        [NOT_BEFORE_ATTRIBUTE]: { dataType: "Number", stringValue: String(notBefore) },
      },
    };
    expect(await deliver("classify", [early])).toEqual({ batchItemFailures: [] });
    expect(simulator.stats().byStep.classify).toBe(callsBefore);
    const delayed = fauxqs.inspectQueue("leadflow-classify")?.messages.delayed ?? [];
    const resent = delayed.find((m) => m.body === record!.body);
    // Still due at the same moment (give or take the milliseconds the handler took).
    const due = Number(resent?.messageAttributes?.[NOT_BEFORE_ATTRIBUTE]?.StringValue);
    expect(due).toBeGreaterThanOrEqual(notBefore);
    expect(due - notBefore).toBeLessThan(2_000);
    expect((resent?.delayUntil ?? 0) - (resent?.sentTimestamp ?? 0)).toBe(900_000);
  });

  it("leave a workflow failed with a reason when its message lands in the DLQ, and let the user retry it", async () => {
    const completed = await carryToCompletion(token);
    const { leadId, workflowId } = await submit(token);
    const [classify] = await take("classify", workflowId);
    // The message exhausted its receives (say the database was away each time) and SQS moved it to the DLQ.
    const dead = sqsRecord(classify!.body, { queue: "leadflow-classify-dlq", receiveCount: 6 });
    expect(await deadLetterHandler(sqsEvent(dead), lambdaContext())).toEqual({ batchItemFailures: [] });

    const failed = await lead(token, leadId);
    expect(failed.workflow.status).toBe("failed");
    expect(failed.workflow.error).toMatchObject({
      code: "INTERNAL",
      message: "The step could not be processed after repeated deliveries.",
      retryable: true,
    });
    expect(failed.workflow.steps.map((s: any) => s.status)).toEqual(["failed", "skipped", "skipped"]);
    expect(failed.workflow.steps[0].error).toMatchObject({ code: "INTERNAL", retryable: true });
    const events = (await api("GET", `/leads/${leadId}/events`, { token })).json.items;
    expect(events.filter((e: any) => e.type === "workflow_failed")).toHaveLength(1);

    // A second copy of the dead letter, one for a completed workflow, and a poison one change nothing.
    const again = await deadLetterHandler(
      sqsEvent(
        sqsRecord(classify!.body, { queue: "leadflow-classify-dlq" }),
        sqsRecord(completed.classify.body, { queue: "leadflow-classify-dlq" }),
        sqsRecord("garbage", { queue: "leadflow-classify-dlq" }),
      ),
      lambdaContext(),
    );
    expect(again).toEqual({ batchItemFailures: [] });
    expect((await api("GET", `/leads/${leadId}/events`, { token })).json.items).toHaveLength(events.length);
    expect((await lead(token, completed.leadId)).workflow.status).toBe("completed");

    // The late original delivery of the dead-lettered message finds nothing to claim.
    expect(await deliver("classify", [classify!])).toEqual({ batchItemFailures: [] });
    expect((await lead(token, leadId)).workflow.status).toBe("failed");

    // retryable: resuming through the API runs it to the end.
    expect((await api("POST", `/leads/${leadId}/retry`, { token })).status).toBe(202);
    for (const step of ["classify", "extract", "route"] as const) {
      const records = await take(step, workflowId);
      expect(JSON.parse(records[0]!.body)).toMatchObject({ step, run: 2, try: 1 });
      expect(await deliver(step, records)).toEqual({ batchItemFailures: [] });
    }
    expect((await lead(token, leadId)).workflow.status).toBe("completed");
  });
});

/** An address of the IPv6 documentation range nobody else in the run uses. */
const documentationIp = () => `2001:db8::${randomUUID().slice(0, 4)}:${randomUUID().slice(0, 4)}`;

describe("the API handler on Lambda", () => {
  it("limits per address by the function URL's source address, counting in PostgreSQL (no Redis there)", async () => {
    const [caller, neighbour] = [documentationIp(), documentationIp()];
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof api>> | undefined;
    for (let i = 0; i < 6; i++) {
      // A different email each time: only the per-address budget (AUTH_RATE_LIMIT=5) can run out.
      last = await api("POST", "/auth/login", {
        sourceIp: caller,
        body: { email: `nobody-${randomUUID()}@example.test`, password: "wrong password" },
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(last!.json.error.code).toBe("rate_limited");
    const retryAfter = Number(last!.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // X-Forwarded-For is anyone's to send and TRUST_PROXY is off: it does not get the caller a fresh budget.
    const spoofed = await api("POST", "/auth/login", {
      sourceIp: caller,
      headers: { "x-forwarded-for": "198.51.100.77" },
      body: { email: `nobody-${randomUUID()}@example.test`, password: "wrong password" },
    });
    expect(spoofed.status).toBe(429);
    // Another address has its own budget (were the address unknown, both would share one).
    const other = await api("POST", "/auth/login", {
      sourceIp: neighbour,
      body: { email: `nobody-${randomUUID()}@example.test`, password: "wrong password" },
    });
    expect(other.status).toBe(401);

    // The web server (one source address for every browser) forwards each browser's address with the shared
    // secret: those budgets are the browsers', not the web server's. A wrong secret is no better than none.
    const webServer = documentationIp();
    const viaWeb = (browser: string, secret: string) =>
      api("POST", "/auth/login", {
        sourceIp: webServer,
        headers: { "x-forwarded-for": browser, "x-leadflow-forwarding-secret": secret },
        body: { email: `nobody-${randomUUID()}@example.test`, password: "wrong password" },
      });
    const browsers = Array.from({ length: 6 }, () => documentationIp());
    const forwarded = await Promise.all(browsers.map((browser) => viaWeb(browser, WEB_FORWARDING_SECRET)));
    expect(forwarded.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401]);
    expect((await viaWeb(caller, WEB_FORWARDING_SECRET)).status).toBe(429);
    const wrongSecret = [];
    for (const browser of browsers) wrongSecret.push((await viaWeb(browser, "not-the-secret")).status);
    expect(wrongSecret).toEqual([401, 401, 401, 401, 401, 429]);

    // Read as the database's owner: the worker Lambdas' connections (lambdaDatabase) work as leadflow_worker,
    // which may not read the API's counters.
    const owner = connectDatabase(process.env.DATABASE_URL!, 1);
    try {
      const { rows } = await owner.pool.query(
        "select count, window_ends_at > now() as open from rate_limit_counters where key = $1",
        [rateLimitKeyDigest(`login:ip:${caller}`)],
      );
      // 6 direct, 1 spoofed, 1 forwarded by the web server.
      expect(rows).toEqual([{ count: 8, open: true }]);
    } finally {
      await owner.close();
    }
  });

  it("answers /readyz with what the deployment depends on: the database and the SQS queues, no Redis", async () => {
    const ready = await api("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: "ok", checks: { database: "ok", queue: "ok" } });

    // A step queue that is not there (deleted, or a wrong URL in the configuration) makes the API not ready.
    const deps = createApiDeps(
      loadConfig({
        ...process.env,
        SQS_QUEUE_URL_ROUTE: queues.route.url.replace(/[^/]+$/, "leadflow-gone"),
      }),
    );
    try {
      const res = await createApp(deps).request("/readyz");
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: "unavailable",
        checks: { database: "ok", queue: "down" },
      });
    } finally {
      await deps.close();
    }
  });
});
