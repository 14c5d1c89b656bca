import type { Config } from "../config.ts";
import { createBullmqStepQueue } from "./bullmq.ts";
import type { StepQueue } from "./port.ts";
import { createSqsStepQueue } from "./sqs.ts";

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

/** loadConfig has already refused QUEUE_DRIVER=sqs without the three URLs. */
export function sqsQueueUrls(config: Config) {
  const {
    SQS_QUEUE_URL_CLASSIFY: classify,
    SQS_QUEUE_URL_EXTRACT: extract,
    SQS_QUEUE_URL_ROUTE: route,
  } = config;
  if (!classify || !extract || !route)
    throw new Error("QUEUE_DRIVER=sqs needs SQS_QUEUE_URL_{CLASSIFY,EXTRACT,ROUTE}");
  return { classify, extract, route };
}
