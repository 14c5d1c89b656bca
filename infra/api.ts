import { bundled } from "./lambda.ts";
import { migrated } from "./migrations.ts";
import { queueEnvironment, sendToStepQueues, stepQueues } from "./queues.ts";
import { forwardingSecret } from "./secrets.ts";

/**
 * The Hono app through `hono/aws-lambda`, served by a function URL (no API Gateway to pay for or configure). It
 * sends step jobs and, for `GET /readyz`, reads one attribute of each step queue. With QUEUE_DRIVER=sqs its rate
 * limits count in PostgreSQL (RATE_LIMIT_STORE's default there).
 */
export const api = new sst.aws.Function(
  "Api",
  bundled("api", {
    description: "leadflow: HTTP API",
    url: true,
    timeout: "30 seconds",
    environment: { ...queueEnvironment, DATABASE_POOL_SIZE: "2", FORWARDING_SECRET: forwardingSecret.value },
    permissions: [
      sendToStepQueues,
      {
        actions: ["sqs:GetQueueAttributes"],
        resources: Object.values(stepQueues).map((queue) => queue.arn),
      },
    ],
  }),
  { dependsOn: [migrated] },
);
