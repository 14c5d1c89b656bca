import { parseDeliveryMessage } from "@leadflow/core/queue/deliveries-sqs";
import { type DeliveryDeps, deliverWebhook, deliverySettings } from "@leadflow/core/webhooks/deliver";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { lambdaConfig, lambdaDatabase, lambdaDeliveryQueue, lambdaLogger, lambdaUses, lazy } from "./deps.ts";
import { consumeRecords, recordContext } from "./sqs-batch.ts";

// Signs with each endpoint's secret from PostgreSQL; needs neither the token secret nor the model.
lambdaUses({ tokens: false, model: false });

export const webhookDeliveryDeps = lazy((): DeliveryDeps => {
  const config = lambdaConfig();
  return {
    db: lambdaDatabase().db,
    queue: lambdaDeliveryQueue(),
    log: lambdaLogger(),
    settings: deliverySettings(config),
  };
});

/**
 * The webhook queue's consumer: each message is one try of one delivery. The try's outcome, and its retry, are
 * written in PostgreSQL by deliverWebhook, so a message fails (SQS redelivers it) only when that could not be
 * done: the database away. A body that is no delivery job is dropped with a log line; nothing could send it.
 */
export function consumeWebhookMessages(deps: DeliveryDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  return consumeRecords(event, async (record) => {
    const ctx = recordContext(record);
    const job = parseDeliveryMessage(record.body);
    if (!job) {
      deps.log.error(ctx, "message is not a webhook delivery job; dropped");
      return;
    }
    try {
      const result = await deliverWebhook(deps, job);
      deps.log.info(
        { ...ctx, delivery_id: job.deliveryId, attempt: job.attempt, result },
        "webhook try done",
      );
    } catch (err) {
      deps.log.error(
        { ...ctx, delivery_id: job.deliveryId, err },
        "webhook try failed; SQS will redeliver it",
      );
      throw err;
    }
  });
}

/** Lambda entry: the consumer of the webhook delivery queue (infra/webhooks.ts). */
export const handler = (event: SQSEvent) => consumeWebhookMessages(webhookDeliveryDeps(), event);
