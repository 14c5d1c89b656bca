import type { Database } from "@leadflow/core/db/client";
import type { Logger } from "@leadflow/core/logger";
import type { StepJob } from "@leadflow/core/queue/port";
import { parseStepJob } from "@leadflow/core/queue/sqs";
import { failDeadLetteredStep } from "@leadflow/core/workflow/dead-letter";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { lambdaDatabase, lambdaLogger, lambdaUses, lazy } from "./deps.ts";
import { consumeRecords, jobContext, recordContext } from "./sqs-batch.ts";

lambdaUses({ tokens: false, model: false });

export interface DeadLetterConsumerDeps {
  db: Database;
  log: Logger;
}

export const deadLetterDeps = lazy(
  (): DeadLetterConsumerDeps => ({ db: lambdaDatabase().db, log: lambdaLogger() }),
);

/**
 * The consumer of the step queues' dead-letter queues: a job that exhausted its deliveries fails its step and
 * workflow with a reason (unless the workflow moved on meanwhile). A body that is not a job cannot name a
 * workflow: it is logged and dropped.
 */
export function createDeadLetterConsumer(deps: () => DeadLetterConsumerDeps = deadLetterDeps) {
  return (event: SQSEvent) => consumeDeadLetters(deps(), event);
}

export function consumeDeadLetters(deps: DeadLetterConsumerDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  return consumeRecords(event, async (record) => {
    const ctx = { ...recordContext(record), queue_arn: record.eventSourceARN };
    let job: StepJob;
    try {
      job = parseStepJob(record.body);
    } catch (err) {
      deps.log.error(
        { ...ctx, err, body_length: record.body.length },
        "dead letter is not a step job; dropped",
      );
      return;
    }
    try {
      const outcome = await failDeadLetteredStep(deps.db, job);
      const level = outcome === "failed" ? "error" : "info";
      deps.log[level]({ ...ctx, ...jobContext(job), outcome }, "dead-lettered step job handled");
    } catch (err) {
      deps.log.error({ ...ctx, ...jobContext(job), err }, "dead letter could not be handled; retried later");
      throw err;
    }
  });
}
