// Realistic Lambda events for invoking the handlers outside AWS (tests, the cold-start bench). It lives with the
// tests, where no handler can import it, so it is in no bundle.
import { randomUUID } from "node:crypto";
import type { Message } from "@aws-sdk/client-sqs";
import type { StepJob } from "@leadflow/core/queue/port";
import type { LambdaFunctionURLEvent, SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

/** A function URL request (payload format 2.0, the shape API Gateway HTTP APIs send too). */
export function functionUrlEvent(
  method: string,
  pathAndQuery: string,
  options: { headers?: Record<string, string>; body?: unknown; sourceIp?: string } = {},
): LambdaFunctionURLEvent {
  const url = new URL(pathAndQuery, "https://abcdefghijklmnopqrstuvwxyz0123.lambda-url.us-east-1.on.aws");
  const headers: Record<string, string> = {
    host: url.host,
    "user-agent": "leadflow-test/1.0",
    "x-forwarded-proto": "https",
    ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(Buffer.byteLength(body));
  }
  const query = Object.fromEntries(url.searchParams);
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: "anonymous",
      apiId: "abcdefghijklmnopqrstuvwxyz0123",
      domainName: url.host,
      domainPrefix: "abcdefghijklmnopqrstuvwxyz0123",
      http: {
        method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: options.sourceIp ?? "203.0.113.10",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: false,
  } as LambdaFunctionURLEvent;
}

export const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

/** One SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(
  body: string,
  options: {
    queue?: string;
    messageId?: string;
    receiveCount?: number;
    messageAttributes?: SQSMessageAttributes;
  } = {},
): SQSRecord {
  const sent = Date.now();
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: `AQEB${randomUUID().replaceAll("-", "")}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(sent),
      SenderId: "AROAEXAMPLE:leadflow",
      ApproximateFirstReceiveTimestamp: String(sent),
    },
    messageAttributes: options.messageAttributes ?? {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn(options.queue ?? "leadflow-queue"),
    awsRegion: REGION,
  };
}

export const stepJobRecord = (job: StepJob, options: Parameters<typeof sqsRecord>[1] = {}) =>
  sqsRecord(JSON.stringify(job), { queue: `leadflow-${job.step}`, ...options });

/** A message received from a real (or fauxqs) queue, as the event source mapping would hand it to Lambda. */
export function sqsRecordFromMessage(message: Message, arn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? "String",
      stringValue: value.StringValue,
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.MessageId ?? randomUUID(),
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: arn,
    awsRegion: arn.split(":")[3] ?? REGION,
  };
}

export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/** A Lambda context with the fields handlers and adapters read. */
export function lambdaContext(functionName = "leadflow-local") {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => 30_000,
    done() {},
    fail() {},
    succeed() {},
  };
}
