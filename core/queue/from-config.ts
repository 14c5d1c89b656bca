import type { Config } from "../config.ts";
import { createBullmqStepQueue } from "./bullmq.ts";
import type { StepQueue } from "./port.ts";
import { createSqsStepQueue, sqsQueueUrls } from "./sqs.ts";

/**
 * The producer side of the step queue that the configuration names: BullMQ on Redis for processes and
 * containers, SQS on AWS. Whichever it is, the workflow code that enqueues is the same.
 */
export function createStepQueueFromConfig(config: Config): StepQueue {
  if (config.QUEUE_DRIVER === "sqs") {
    return createSqsStepQueue({
      queueUrls: sqsQueueUrls(config),
      region: config.AWS_REGION,
      endpoint: config.SQS_ENDPOINT,
    });
  }
  return createBullmqStepQueue({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX });
}
