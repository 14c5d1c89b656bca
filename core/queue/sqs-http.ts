import { createHash } from "node:crypto";
import { AwsV4Signer } from "aws4fetch";

/**
 * The two SQS calls the step queue makes (SendMessage, and GetQueueAttributes for readiness) over fetch: the AWS
 * JSON 1.0 protocol (what the AWS SDK itself speaks to SQS), signed with Signature V4 by aws4fetch. It does what
 * the SDK's client did for these calls: the endpoint is the configured one or else the queue URL's own (the SDK's
 * `useQueueUrlAsEndpoint`), throttling, 5xx and network failures are retried (3 attempts, exponential backoff
 * with full jitter, as the SDK's standard retry mode), and the MD5 of the body SQS stored is checked against the
 * body sent, as the SDK checks it. Loading it costs a few kilobytes instead of the SDK's client (a quarter of a
 * megabyte, and on its first call a hundred milliseconds or more of a cold start).
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SqsMessageAttribute {
  DataType: "String" | "Number";
  StringValue: string;
}

export interface SendMessageInput {
  QueueUrl: string;
  MessageBody: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, SqsMessageAttribute>;
}

export interface SendMessageOutput {
  MessageId: string;
  MD5OfMessageBody: string;
}

export interface SqsHttpOptions {
  /** The signing region. */
  region: string;
  /** An SQS-compatible server (fauxqs, LocalStack); otherwise each queue URL's own origin. */
  endpoint?: string | undefined;
  /** Read at each call; by default the environment's (what Lambda gives a function: its role's credentials). */
  credentials?: () => AwsCredentials;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  /** One attempt's limit; the call fails (or retries) past it. */
  attemptTimeoutMs?: number;
  /** A whole call's limit, its attempts and the waits between them included; no attempt starts past it. */
  deadlineMs?: number;
  fetch?: typeof fetch;
  /** Waits between attempts (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** An error SQS answered with (`code` is its error type, e.g. `QueueDoesNotExist`), or the call's own failure. */
export class SqsError extends Error {
  override name = "SqsError";
  readonly code: string;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly requestId: string | undefined;
  constructor(
    message: string,
    fields: { code: string; status?: number | undefined; retryable: boolean; requestId?: string | undefined },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = fields.code;
    this.status = fields.status;
    this.retryable = fields.retryable;
    this.requestId = fields.requestId;
  }
}

// The AWS SDK's own lists (@smithy/service-error-classification), for the errors SQS can answer.
const THROTTLING_CODES = new Set([
  "RequestThrottled",
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottledException",
  "ThrottledException",
  "SlowDown",
  "KmsThrottled",
]);
const TRANSIENT_CODES = new Set(["RequestTimeout", "RequestTimeoutException", "ServiceUnavailable"]);
const BASE_DELAY_MS = 100;
const THROTTLED_BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!accessKeyId || !secretAccessKey) {
    throw new SqsError(
      "No AWS credentials: the SQS queue takes them from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, as Lambda sets them",
      { code: "CredentialsNotFound", retryable: false },
    );
  }
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/** No answer, or not all of it: a timeout or a network failure, both worth another attempt. */
function transportError(err: unknown, timeoutMs: number): SqsError {
  const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
  return new SqsError(
    timedOut
      ? `SQS did not answer within ${timeoutMs} ms`
      : `SQS could not be reached: ${(err as Error)?.message ?? err}`,
    { code: timedOut ? "TimeoutError" : "NetworkingError", retryable: true },
    { cause: err },
  );
}

const md5Hex = (text: string) => createHash("md5").update(text, "utf8").digest("hex");
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSqsHttpClient(options: SqsHttpOptions) {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const credentials = options.credentials ?? (() => credentialsFromEnv());
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const endpoint = options.endpoint ? withTrailingSlash(options.endpoint) : undefined;
  // The day's signing key, derived once (four HMACs) rather than on every call.
  const signingKeys = new Map<string, ArrayBuffer>();

  /** One signed request: the answer's JSON, or an SqsError that says whether trying again may help. */
  async function attempt(action: string, queueUrl: string, body: string, timeoutMs: number): Promise<Answer> {
    const { accessKeyId, secretAccessKey, sessionToken } = credentials();
    const signed = await new AwsV4Signer({
      method: "POST",
      url: endpoint ?? `${new URL(queueUrl).origin}/`,
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": `AmazonSQS.${action}`,
        // Errors with the codes SQS's query API used (what the SDK asks for too).
        "x-amzn-query-mode": "true",
      },
      body,
      accessKeyId,
      secretAccessKey,
      sessionToken,
      service: "sqs",
      region: options.region,
      cache: signingKeys,
    }).sign();
    let response: Response;
    try {
      response = await doFetch(signed.url, {
        method: signed.method,
        headers: signed.headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw transportError(err, timeoutMs);
    }
    const requestId = response.headers.get("x-amzn-requestid") ?? undefined;
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      // The answer was cut off (or timed out) while its body arrived: as retryable as no answer at all.
      throw transportError(err, timeoutMs);
    }
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // An HTML error page from something in between: the status says enough.
    }
    if (!response.ok) throw answeredError(response, json, requestId);
    return { json, status: response.status, requestId };
  }

  /**
   * Attempts until one succeeds, a failure is not worth retrying, `attempts` are spent, or the deadline would
   * pass before the next one could start.
   */
  async function call(action: string, input: { QueueUrl: string }, attempts = maxAttempts): Promise<Answer> {
    const body = JSON.stringify(input);
    const deadline =
      options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.deadlineMs;
    for (let n = 1; ; n++) {
      const timeoutMs = Math.max(1, Math.min(attemptTimeoutMs, deadline - Date.now()));
      try {
        return await attempt(action, input.QueueUrl, body, timeoutMs);
      } catch (err) {
        if (!(err instanceof SqsError) || !err.retryable || n >= attempts) throw err;
        const base = THROTTLING_CODES.has(err.code) ? THROTTLED_BASE_DELAY_MS : BASE_DELAY_MS;
        const waitMs = Math.floor(random() * Math.min(MAX_DELAY_MS, base * 2 ** n));
        if (Date.now() + waitMs >= deadline) throw err;
        await sleep(waitMs);
      }
    }
  }

  return {
    async sendMessage(input: SendMessageInput): Promise<SendMessageOutput> {
      const { json, status, requestId } = await call("SendMessage", input);
      const output = json as Partial<SendMessageOutput>;
      if (typeof output.MessageId !== "string" || typeof output.MD5OfMessageBody !== "string") {
        throw new SqsError("SQS answered SendMessage without a MessageId", {
          code: "InvalidResponse",
          status,
          retryable: false,
          requestId,
        });
      }
      if (output.MD5OfMessageBody !== md5Hex(input.MessageBody)) {
        throw new SqsError("SQS stored a message body whose MD5 differs from the body sent", {
          code: "InvalidChecksumError",
          status,
          retryable: false,
          requestId,
        });
      }
      return { MessageId: output.MessageId, MD5OfMessageBody: output.MD5OfMessageBody };
    },

    /** GetQueueAttributes; `attempts` 1 for a readiness check that must answer quickly. */
    async getQueueAttributes(
      input: { QueueUrl: string; AttributeNames: string[] },
      { attempts }: { attempts?: number } = {},
    ): Promise<Record<string, string>> {
      const { json } = await call("GetQueueAttributes", input, attempts);
      return (json.Attributes as Record<string, string> | undefined) ?? {};
    },
  };
}

interface Answer {
  json: Record<string, unknown>;
  status: number;
  requestId: string | undefined;
}

/** `{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": …}`, and the query API's code in a header. */
function answeredError(response: Response, json: Record<string, unknown>, requestId: string | undefined) {
  const type = typeof json.__type === "string" ? json.__type : "";
  const queryCode = response.headers.get("x-amzn-query-error")?.split(";")[0];
  const code = type.split("#").at(-1) || queryCode || `Http${response.status}`;
  const message =
    (typeof json.message === "string" && json.message) ||
    (typeof json.Message === "string" && json.Message) ||
    `SQS answered HTTP ${response.status}`;
  const retryable =
    response.status >= 500 ||
    response.status === 429 ||
    THROTTLING_CODES.has(code) ||
    TRANSIENT_CODES.has(code) ||
    (queryCode !== undefined && THROTTLING_CODES.has(queryCode.replace(/^AWS\.SimpleQueueService\./, "")));
  return new SqsError(`${code}: ${message}`, { code, status: response.status, retryable, requestId });
}

const withTrailingSlash = (url: string) => (url.endsWith("/") ? url : `${url}/`);
