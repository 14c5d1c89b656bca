// Run by build.test.ts in a fresh `node` process, as Lambda would: the built API bundle signs up and submits a
// lead (enqueueing on SQS), the built classify bundle consumes that message and hands on to extract. Prints one
// JSON line for the test to check. The environment (fauxqs, simulator, database) comes from the test.
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { LAMBDA_DIST } from "../../scripts/build-lambda.ts";
import { sampleLead } from "../support/api.ts";
import { functionUrlEvent, lambdaContext, sqsEvent, sqsRecordFromMessage } from "./lambda-events.ts";

type Handler = (event: unknown, context: unknown) => Promise<any>;
const load = async (name: string): Promise<Handler> =>
  (await import(`${LAMBDA_DIST}/${name}/index.mjs`)).handler;
const api = await load("api");
const classify = await load("classify");

async function call(method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await api(functionUrlEvent(method, path, { headers, body }), lambdaContext());
  return { status: res.statusCode as number, json: JSON.parse(res.body) };
}

const sqs = new SQSClient({ region: "us-east-1", endpoint: process.env.SQS_ENDPOINT });
const receive = async (url: string) =>
  (
    await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 2, MessageSystemAttributeNames: ["All"] }),
    )
  ).Messages ?? [];

const signup = await call("POST", "/auth/signup", {
  email: `bundle-${Date.now()}@example.test`,
  password: "correct horse battery",
});
const submitted = await call("POST", "/leads", sampleLead(), signup.json.access_token);
const widget = await api(functionUrlEvent("GET", "/widget.js"), lambdaContext());
const [message] = await receive(process.env.SQS_QUEUE_URL_CLASSIFY!);
const arn = `arn:aws:sqs:us-east-1:000000000000:${process.env.SQS_QUEUE_URL_CLASSIFY!.split("/").at(-1)}`;
const result = message ? await classify(sqsEvent(sqsRecordFromMessage(message, arn)), lambdaContext()) : null;
const [next] = await receive(process.env.SQS_QUEUE_URL_EXTRACT!);
console.log(
  JSON.stringify({
    signup: signup.status,
    submitted: submitted.status,
    widget: { status: widget.statusCode, type: widget.headers?.["content-type"], bytes: widget.body?.length },
    workflowId: submitted.json.workflow?.id,
    classifyMessage: message?.Body ? JSON.parse(message.Body) : null,
    classifyResult: result,
    extractMessage: next?.Body ? JSON.parse(next.Body) : null,
  }),
);
process.exit(0);
