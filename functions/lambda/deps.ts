import { type Config, type ConfigUses, loadConfig } from "@leadflow/core/config";
import { connectDatabase } from "@leadflow/core/db/client";
import { WORKER_ROLE } from "@leadflow/core/db/scoped";
import { createLogger } from "@leadflow/core/logger";
import { createSqsDeliveryQueue } from "@leadflow/core/queue/deliveries-sqs";
import { createSqsStepQueue, sqsQueueUrls } from "@leadflow/core/queue/sqs";

/**
 * Built on the first invocation and kept for the warm ones: a Lambda instance reuses its configuration, its
 * database pool and its clients across events. A failure to build is not kept, so the next event tries again.
 * Each consumer module builds its own deps from these, so a bundle carries only the clients it uses.
 */
export function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

let uses: ConfigUses = { tokens: true, model: true };

/**
 * What this function needs of the configuration's secrets, declared by its entry module before the first event:
 * each function is given only its own (infra/lambda.ts), and config refuses to start without a secret it needs.
 */
export function lambdaUses(declared: ConfigUses): void {
  uses = declared;
}

export const lambdaConfig = lazy((): Config => loadConfig(process.env, uses));

/** The step queues on Lambda are SQS: the functions take that adapter directly, so no bundle carries BullMQ. */
export const lambdaStepQueue = lazy(() => {
  const config = lambdaConfig();
  return createSqsStepQueue({
    queueUrls: sqsQueueUrls(config),
    region: config.AWS_REGION,
    endpoint: config.SQS_ENDPOINT,
  });
});

/** The webhook delivery queue (SQS_QUEUE_URL_WEBHOOKS), for the webhook consumer and dispatcher. */
export const lambdaDeliveryQueue = lazy(() => {
  const config = lambdaConfig();
  if (!config.SQS_QUEUE_URL_WEBHOOKS) throw new Error("the webhook functions need SQS_QUEUE_URL_WEBHOOKS");
  return createSqsDeliveryQueue({
    queueUrl: config.SQS_QUEUE_URL_WEBHOOKS,
    region: config.AWS_REGION,
    endpoint: config.SQS_ENDPOINT,
  });
});

export const lambdaLogger = lazy(() =>
  createLogger({
    level: lambdaConfig().LOG_LEVEL,
    name: `leadflow-${process.env.AWS_LAMBDA_FUNCTION_NAME ?? "lambda"}`,
  }),
);

/**
 * The step consumers', the dead-letter consumer's and the reconciler's database: they work as leadflow_worker,
 * as the container worker does. They reach PostgreSQL through RDS Proxy, which refuses the `-c role=` start-up
 * parameter, so each new connection takes the role with SET ROLE before it serves anything (a connection on
 * which that fails is closed, never used); see docs/deploy.md, "The worker role behind RDS Proxy".
 */
export const lambdaDatabase = lazy(() => {
  const config = lambdaConfig();
  return connectDatabase(config.DATABASE_APP_URL ?? config.DATABASE_URL, config.DATABASE_POOL_SIZE, {
    role: WORKER_ROLE,
    assumeRole: "set-role",
  });
});
