import { createHash, createHmac, randomUUID } from "node:crypto";
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
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
import { type AwsCredentials, SqsError } from "@leadflow/core/queue/sqs-http";
import type { FauxqsServer } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFauxqsWithClient } from "./fauxqs.ts";

// The SQS adapter (SendMessage over fetch, signed by aws4fetch) against fauxqs, an SQS-compatible server running
// in this process; the test reads the queues with the real AWS SDK, as a consumer would.
let server: FauxqsServer;
let client: SQSClient;
let queue: SqsStepQueue;
let urls: Record<"classify" | "extract" | "route", string>;
let dlqUrl: string;
const MAX_RECEIVES = 2;
const credentials: AwsCredentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "session-token-example",
};

beforeAll(async () => {
  ({ server, client } = await startFauxqsWithClient());
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
  queue = createSqsStepQueue({ queueUrls: urls, endpoint: server.address, credentials: () => credentials });
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

    // Through the real server the attribute travels with the message.
    const late = createSqsStepQueue({
      queueUrls: urls,
      endpoint: server.address,
      credentials: () => credentials,
      now: () => now,
    });
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
  it("signs each request with Signature V4 as AWS checks it, session token included", async () => {
    const sent: Array<{ url: string; headers: Headers; body: string }> = [];
    const recording: typeof fetch = async (input, init) => {
      sent.push({ url: String(input), headers: new Headers(init?.headers), body: String(init?.body) });
      return fetch(input, init);
    };
    const signed = createSqsStepQueue({
      queueUrls: urls,
      endpoint: server.address,
      credentials: () => credentials,
      fetch: recording,
    });
    const delayed = job("classify");
    await signed.enqueue(delayed, { delayMs: 1_000 });
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request!.url).toBe(`${server.address}/`);
    expect(request!.headers.get("x-amz-target")).toBe("AmazonSQS.SendMessage");
    expect(request!.headers.get("content-type")).toBe("application/x-amz-json-1.0");
    expect(request!.headers.get("x-amz-security-token")).toBe(credentials.sessionToken);
    expect(JSON.parse(request!.body)).toEqual({
      QueueUrl: urls.classify,
      MessageBody: JSON.stringify(delayed),
      DelaySeconds: 1,
      MessageAttributes: {
        JobId: { DataType: "String", StringValue: `${delayed.workflowId}.classify.r1.t1` },
      },
    });
    // Recomputed here from the specification (and checked first against AWS's published example).
    expect(verifySigV4(request!, credentials.secretAccessKey)).toEqual({
      ok: true,
      scope: expect.stringMatching(/^\d{8}\/us-east-1\/sqs\/aws4_request$/),
      signedHeaders: expect.arrayContaining(["host", "x-amz-date", "x-amz-security-token", "x-amz-target"]),
    });
  });

  it("sends to the queue URL's own endpoint when none is configured, as the AWS SDK does", async () => {
    const seen: string[] = [];
    const answering: typeof fetch = async (input, init) => {
      seen.push(String(input));
      return okAnswer(JSON.parse(String(init?.body)).MessageBody);
    };
    const aws = createSqsStepQueue({
      queueUrls: {
        classify: "https://sqs.eu-west-1.amazonaws.com/123456789012/leadflow-classify",
        extract: "https://sqs.eu-west-1.amazonaws.com/123456789012/leadflow-extract",
        route: "https://sqs.eu-west-1.amazonaws.com/123456789012/leadflow-route",
      },
      credentials: () => credentials,
      fetch: answering,
    });
    await aws.enqueue(job("route"));
    expect(seen).toEqual(["https://sqs.eu-west-1.amazonaws.com/"]);
  });

  it("pings every step queue (GetQueueAttributes), and fails when one is not there", async () => {
    await expect(queue.ping?.()).resolves.toBeUndefined();
    const gone = createSqsStepQueue({
      queueUrls: { ...urls, route: `${server.address}/000000000000/leadflow-gone` },
      endpoint: server.address,
      credentials: () => credentials,
    });
    await expect(gone.ping?.()).rejects.toMatchObject({ code: "QueueDoesNotExist" });
  });

  it("fails with SQS's own error code, at once, for a queue that does not exist", async () => {
    const missing = createSqsStepQueue({
      queueUrls: { ...urls, extract: `${server.address}/000000000000/no-such-queue` },
      endpoint: server.address,
      credentials: () => credentials,
    });
    const err = await missing.enqueue(job("extract")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqsError);
    expect(err).toMatchObject({ code: "QueueDoesNotExist", status: 400, retryable: false });
  });

  it("retries throttling, 5xx and network failures (3 attempts), never a request SQS refused", async () => {
    const waits: number[] = [];
    const scripted = (answers: Array<() => Response>) => {
      let calls = 0;
      const queue = createSqsStepQueue({
        queueUrls: urls,
        endpoint: server.address,
        credentials: () => credentials,
        sleep: async (ms) => void waits.push(ms),
        fetch: async (_input, init) => {
          const answer = answers[calls++];
          if (!answer) throw new Error("no more answers");
          const response = answer();
          return response.status === 200 ? okAnswer(JSON.parse(String(init?.body)).MessageBody) : response;
        },
      });
      return { queue, calls: () => calls };
    };
    const throttled = () =>
      sqsErrorAnswer(
        400,
        "com.amazonaws.sqs#RequestThrottled",
        "AWS.SimpleQueueService.RequestThrottled;Sender",
      );
    const unavailable = () => sqsErrorAnswer(503, "com.amazonaws.sqs#ServiceUnavailable");
    const ok = () => new Response(null, { status: 200 });

    const recovers = scripted([throttled, unavailable, ok]);
    await recovers.queue.enqueue(job("classify"));
    expect(recovers.calls()).toBe(3);
    expect(waits).toHaveLength(2);

    const givesUp = scripted([unavailable, unavailable, unavailable, ok]);
    await expect(givesUp.queue.enqueue(job("classify"))).rejects.toMatchObject({
      code: "ServiceUnavailable",
      status: 503,
    });
    expect(givesUp.calls()).toBe(3);

    const refused = scripted([() => sqsErrorAnswer(400, "com.amazonaws.sqs#InvalidParameterValue"), ok]);
    await expect(refused.queue.enqueue(job("classify"))).rejects.toMatchObject({
      code: "InvalidParameterValue",
      retryable: false,
    });
    expect(refused.calls()).toBe(1);

    let networkCalls = 0;
    const flaky = createSqsStepQueue({
      queueUrls: urls,
      endpoint: server.address,
      credentials: () => credentials,
      sleep: async () => {},
      fetch: async (input, init) => {
        if (networkCalls++ === 0) throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
        return fetch(input, init);
      },
    });
    const afterReset = job("extract");
    await flaky.enqueue(afterReset);
    expect(networkCalls).toBe(2);
    const [delivered] = await receive(urls.extract, 1);
    expect(parseStepJob(delivered!.Body!)).toEqual(afterReset);
    await client.send(
      new DeleteMessageCommand({ QueueUrl: urls.extract, ReceiptHandle: delivered!.ReceiptHandle }),
    );
  });

  it("gives up within the enqueue deadline when SQS never answers, attempts and waits included", async () => {
    let attempts = 0;
    const silent = createSqsStepQueue({
      queueUrls: urls,
      endpoint: server.address,
      credentials: () => credentials,
      enqueueDeadlineMs: 300,
      // A server that takes the request and never answers: only the abort ends each attempt.
      fetch: (_input, init) => {
        attempts++;
        return new Promise<Response>((_, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        });
      },
    });
    const started = performance.now();
    await expect(silent.enqueue(job("classify"))).rejects.toMatchObject({ code: "TimeoutError" });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
    expect(attempts).toBe(1);
  });

  it("refuses an answer whose MD5 is not the body's, as the AWS SDK does", async () => {
    const corrupt = createSqsStepQueue({
      queueUrls: urls,
      endpoint: server.address,
      credentials: () => credentials,
      fetch: async () => okAnswer("another body"),
    });
    await expect(corrupt.enqueue(job("route"))).rejects.toMatchObject({ code: "InvalidChecksumError" });
  });

  it("asks for credentials from the environment when none are given, and says which are missing", async () => {
    const saved = { ...process.env };
    try {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      const none = createSqsStepQueue({ queueUrls: urls, endpoint: server.address });
      await expect(none.enqueue(job("route"))).rejects.toThrow(/AWS_ACCESS_KEY_ID/);

      Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIDENV", AWS_SECRET_ACCESS_KEY: "env-secret" });
      delete process.env.AWS_SESSION_TOKEN;
      const seen: Headers[] = [];
      const fromEnv = createSqsStepQueue({
        queueUrls: urls,
        endpoint: server.address,
        fetch: async (input, init) => {
          seen.push(new Headers(init?.headers));
          return fetch(input, init);
        },
      });
      await fromEnv.enqueue(job("route"));
      expect(seen[0]?.get("authorization")).toContain("Credential=AKIDENV/");
      expect(seen[0]?.has("x-amz-security-token")).toBe(false);
    } finally {
      process.env = saved;
    }
  });
});

const md5 = (text: string) => createHash("md5").update(text).digest("hex");
const okAnswer = (body: string) =>
  new Response(JSON.stringify({ MessageId: randomUUID(), MD5OfMessageBody: md5(body) }), {
    status: 200,
    headers: { "content-type": "application/x-amz-json-1.0" },
  });
const sqsErrorAnswer = (status: number, type: string, queryError?: string) =>
  new Response(JSON.stringify({ __type: type, message: "scripted" }), {
    status,
    headers: {
      "content-type": "application/x-amz-json-1.0",
      ...(queryError ? { "x-amzn-query-error": queryError } : {}),
    },
  });

/**
 * Signature V4 recomputed from the specification with node:crypto (not the library that signed the request): the
 * canonical request, the string to sign, the derived key. It first reproduces AWS's published example (IAM
 * ListUsers, from the SigV4 documentation), so a bug here cannot pass for a bug there.
 */
function sigV4(
  request: { method: string; url: string; headers: Headers; body: string },
  secret: string,
  signed: string[],
) {
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");
  const hmac = (key: string | Buffer, s: string) => createHmac("sha256", key).update(s).digest();
  const url = new URL(request.url);
  const date = request.headers.get("x-amz-date") ?? "";
  const credential = /Credential=[^/]+\/([^,]+)/.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  const [day = "", region = "", service = ""] = credential.split("/");
  const query = [...url.searchParams]
    .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)])
    .sort(([a = ""], [b = ""]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const headerLines = signed
    .map(
      (h) => `${h}:${h === "host" ? url.host : (request.headers.get(h) ?? "").trim().replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const canonical = [
    request.method,
    url.pathname,
    query,
    headerLines,
    signed.join(";"),
    sha(request.body),
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", date, scope, sha(canonical)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), "aws4_request");
  return { scope, signature: createHmac("sha256", key).update(toSign).digest("hex") };
}

function verifySigV4(request: { url: string; headers: Headers; body: string }, secret: string) {
  const example = sigV4(
    {
      method: "GET",
      url: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
      headers: new Headers({
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "x-amz-date": "20150830T123600Z",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
      }),
      body: "",
    },
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    ["content-type", "host", "x-amz-date"],
  );
  if (example.signature !== "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    throw new Error("the test's SigV4 does not reproduce AWS's published example");
  const authorization = request.headers.get("authorization") ?? "";
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";") ?? [];
  const given = /Signature=([0-9a-f]{64})/.exec(authorization)?.[1];
  const { scope, signature } = sigV4({ method: "POST", ...request }, secret, signedHeaders);
  return { ok: given === signature, scope, signedHeaders };
}
