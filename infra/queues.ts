import { STEP_NAMES as STEPS, type StepName as Step } from "../core/schemas/workflow.ts";
import { bundled, type LambdaName } from "./lambda.ts";
import { migrated } from "./migrations.ts";

const title = (step: Step) => `${step[0]?.toUpperCase()}${step.slice(1)}`;

/** Deliveries of one message before SQS moves it to the step's DLQ (each is a full runStep attempt or a crash). */
export const MAX_RECEIVE_COUNT = 5;
/** Longer than every re-ask timing out ((STEP_MAX_REASKS + 1) × LLM_TIMEOUT_MS + margin), shorter than the lease. */
const STEP_TIMEOUT = "90 seconds";
/**
 * Must exceed the function timeout. AWS suggests 6×; 2× is enough here because a duplicate delivery is harmless
 * (runStep's claim in PostgreSQL), and it is also how long a message that failed waits before its next try.
 */
const STEP_VISIBILITY = "3 minutes";
/** Concurrent batches per step: caps the calls on the model provider without reserving account concurrency. */
const MAX_CONCURRENCY = 10;
/**
 * Connections per step consumer instance. Each takes the worker role with SET ROLE, so RDS Proxy pins it to a
 * database connection for as long as it stays open (docs/deploy.md, "The worker role behind RDS Proxy"): at most
 * 3 steps × MAX_CONCURRENCY × this many, 60, well inside what a db.t4g.micro allows (about a hundred). A batch's
 * five records share two connections: their statements take milliseconds, their model calls seconds.
 */
const STEP_POOL_SIZE = "2";

const deadLetterQueues = Object.fromEntries(
  STEPS.map((step) => [
    step,
    new sst.aws.Queue(`${title(step)}DeadLetterQueue`, {
      visibilityTimeout: "1 minute",
      transform: { queue: { messageRetentionSeconds: 14 * 24 * 3600 } },
    }),
  ]),
) as Record<Step, sst.aws.Queue>;

export const stepQueues = Object.fromEntries(
  STEPS.map((step) => [
    step,
    new sst.aws.Queue(`${title(step)}Queue`, {
      visibilityTimeout: STEP_VISIBILITY,
      dlq: { queue: deadLetterQueues[step].arn, retry: MAX_RECEIVE_COUNT },
    }),
  ]),
) as Record<Step, sst.aws.Queue>;

/** What a function that enqueues step jobs needs: the driver, the three URLs, and the right to send. */
export const queueEnvironment = {
  QUEUE_DRIVER: "sqs",
  SQS_QUEUE_URL_CLASSIFY: stepQueues.classify.url,
  SQS_QUEUE_URL_EXTRACT: stepQueues.extract.url,
  SQS_QUEUE_URL_ROUTE: stepQueues.route.url,
};
export const sendToStepQueues = {
  actions: ["sqs:SendMessage"],
  resources: STEPS.map((step) => stepQueues[step].arn),
};

// One consumer per step queue, ten messages at most per batch, each reported on its own (partial batch responses).
for (const step of STEPS) {
  stepQueues[step].subscribe(
    bundled(step satisfies LambdaName, {
      description: `leadflow: ${step} step consumer`,
      timeout: STEP_TIMEOUT,
      environment: { ...queueEnvironment, DATABASE_POOL_SIZE: STEP_POOL_SIZE },
      permissions: [sendToStepQueues],
    }),
    {
      batch: { size: 5, partialResponses: true },
      transform: { eventSourceMapping: { scalingConfig: { maximumConcurrency: MAX_CONCURRENCY } } },
    },
    { dependsOn: [migrated] },
  );
}

/** One function consumes the three DLQs: it fails the dead-lettered step and its workflow with a reason. */
const deadLetterConsumer = new sst.aws.Function(
  "DeadLetterConsumer",
  bundled("dead-letter", {
    description: "leadflow: fails the workflows of dead-lettered step jobs",
    timeout: "30 seconds",
    memory: "512 MB",
    environment: { ...queueEnvironment, DATABASE_POOL_SIZE: "2" },
    permissions: [
      {
        actions: [
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
          "sqs:ChangeMessageVisibility",
          "sqs:GetQueueAttributes",
        ],
        resources: STEPS.map((step) => deadLetterQueues[step].arn),
      },
    ],
  }),
  { dependsOn: [migrated] },
);
for (const step of STEPS) {
  deadLetterQueues[step].subscribe(deadLetterConsumer.arn, { batch: { size: 10, partialResponses: true } });
}

/**
 * The reconciler on a schedule: re-enqueues work PostgreSQL says is moving but no queue holds (an enqueue that
 * failed after its commit). Runs are cheap (one indexed query) and serialised by an advisory lock.
 */
new sst.aws.Cron(
  "Reconciler",
  {
    schedule: "rate(5 minutes)",
    function: bundled("reconcile", {
      description: "leadflow: re-enqueue lost step jobs",
      timeout: "60 seconds",
      memory: "512 MB",
      environment: { ...queueEnvironment, DATABASE_POOL_SIZE: "1" },
      permissions: [sendToStepQueues],
    }),
  },
  { dependsOn: [migrated] },
);
