import { sweepDueDeliveries } from "@leadflow/core/webhooks/dispatch";
import { lambdaDatabase, lambdaDeliveryQueue, lambdaLogger, lambdaUses } from "./deps.ts";

lambdaUses({ tokens: false, model: false });

/**
 * Lambda entry, every minute (infra/webhooks.ts): hands every due webhook delivery to the queue. The container
 * worker is woken by the outbox's NOTIFY; a Lambda cannot hold a LISTEN connection, so on AWS a new event waits
 * for this round (under a minute), and so do retries due later than SQS can delay a message (15 minutes).
 */
export const handler = async () => {
  const enqueued = await sweepDueDeliveries(lambdaDatabase().db, lambdaDeliveryQueue());
  if (enqueued > 0) lambdaLogger().info({ enqueued }, "webhook deliveries handed to the queue");
  return { enqueued };
};
