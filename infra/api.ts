import { bundled } from "./lambda.ts";
import { migrated } from "./migrations.ts";
import { queueEnvironment, sendToStepQueues } from "./queues.ts";

/** The Hono app through `hono/aws-lambda`, served by a function URL (no API Gateway to pay for or configure). */
export const api = new sst.aws.Function(
  "Api",
  bundled("api", {
    description: "leadflow: HTTP API",
    url: true,
    timeout: "30 seconds",
    environment: { ...queueEnvironment, DATABASE_POOL_SIZE: "2" },
    permissions: [sendToStepQueues],
  }),
  { dependsOn: [migrated] },
);
