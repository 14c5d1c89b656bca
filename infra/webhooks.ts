import { bundled } from "./lambda.ts";
import { migrated } from "./migrations.ts";
import { queueEnvironment } from "./queues.ts";

/**
 * Outbound webhooks on AWS: the outbox rows the triggers write are handed to this queue by the dispatcher, and
 * its consumer makes one try per message. Retries are decided in PostgreSQL (WEBHOOK_MAX_ATTEMPTS with backoff),
 * so the queue needs no dead-letter queue: a message whose try could not be recorded (the database away) comes
 * back after its visibility timeout, and a try the queue lost is handed out again by the next sweep.
 */
const SEND_TIMEOUT = "30 seconds"; // one batch: its tries run side by side, each at most 10 s (WEBHOOK_TIMEOUT_MS)

export const webhookQueue = new sst.aws.Queue("WebhookQueue", {
  visibilityTimeout: "1 minute",
  transform: { queue: { messageRetentionSeconds: 24 * 3600 } },
});

const webhookEnvironment = {
  ...queueEnvironment,
  SQS_QUEUE_URL_WEBHOOKS: webhookQueue.url,
  DATABASE_POOL_SIZE: "2",
};
const sendToWebhookQueue = { actions: ["sqs:SendMessage"], resources: [webhookQueue.arn] };

webhookQueue.subscribe(
  bundled("webhooks", {
    description: "leadflow: delivers outbound webhooks (one try per message)",
    timeout: SEND_TIMEOUT,
    memory: "512 MB",
    environment: webhookEnvironment,
    permissions: [sendToWebhookQueue],
  }),
  {
    batch: { size: 10, partialResponses: true },
    transform: { eventSourceMapping: { scalingConfig: { maximumConcurrency: 5 } } },
  },
  { dependsOn: [migrated] },
);

/**
 * No LISTEN on Lambda: the dispatcher sweeps every minute for due deliveries (new events, retries due later than
 * SQS's 15-minute delay, tries a queue lost). On containers the worker is woken by NOTIFY instead.
 */
new sst.aws.Cron(
  "WebhookDispatcher",
  {
    schedule: "rate(1 minute)",
    function: bundled("webhook-dispatch", {
      description: "leadflow: hands due webhook deliveries to the queue",
      timeout: "60 seconds",
      memory: "512 MB",
      environment: { ...webhookEnvironment, DATABASE_POOL_SIZE: "1" },
      permissions: [sendToWebhookQueue],
    }),
  },
  { dependsOn: [migrated] },
);
