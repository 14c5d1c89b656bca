import type { Config } from "@leadflow/core/config";
import { providerKey } from "@leadflow/core/llm/flow/port";
import { postgresProviderFlow } from "@leadflow/core/llm/flow/postgres";
import type { LlmClient } from "@leadflow/core/llm/types";
import type { Logger } from "@leadflow/core/logger";
import { PoisonMessageError, parseStepJob } from "@leadflow/core/queue/sqs";
import { createSqsStepConsumer } from "@leadflow/core/queue/sqs-consumer";
import type { StepName } from "@leadflow/core/schemas/workflow";
import { runStep, type StepRunnerDeps } from "@leadflow/core/workflow/run-step";
import { stepRunnerSettings } from "@leadflow/core/workflow/settings";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { lambdaConfig, lambdaDatabase, lambdaLogger, lambdaStepQueue, lambdaUses, lazy } from "./deps.ts";
import { consumeRecords, jobContext, recordContext } from "./sqs-batch.ts";

// Calls the model; never sees a session token.
lambdaUses({ tokens: false, model: true });

export interface StepConsumerDeps {
  runner: StepRunnerDeps;
  log: Logger;
  now?: () => number;
}

/** The step consumers' clients: PostgreSQL, the SQS producer (to hand on and retry) and the model. */
export const stepConsumerDeps = lazy((): StepConsumerDeps => {
  const config = lambdaConfig();
  const log = lambdaLogger();
  const { db } = lambdaDatabase();
  return {
    log,
    runner: {
      db,
      queue: lambdaStepQueue(),
      llm: llmOnFirstCall(config),
      settings: stepRunnerSettings(config),
      log,
      // No Redis on Lambda: every step function shares the provider's budget and pauses through PostgreSQL.
      flow: postgresProviderFlow(db, {
        provider: providerKey(config.llm.baseURL),
        limits: {
          requestsPerMinute: config.llm.requestsPerMinute,
          tokensPerMinute: config.llm.tokensPerMinute,
        },
      }),
    },
  };
});

/**
 * The model client, loaded on its first call rather than at import. The OpenAI SDK is the largest part of a step
 * bundle (about 40% of it) and brings up Node's fetch implementation as it loads; a cold start that claims
 * nothing (a duplicate or superseded delivery) never needs it, and one that does pays for it once, just before a
 * model call that takes seconds. In the bundles it is a chunk of its own, beside index.mjs.
 */
export function llmOnFirstCall(config: Config): LlmClient {
  let client: Promise<LlmClient> | undefined;
  const load = () => {
    client ??= import("@leadflow/core/llm/client")
      .then(({ createLlmClientFromConfig }) => createLlmClientFromConfig(config))
      .catch((err: unknown) => {
        client = undefined; // neither a failed load nor a failed build is kept: the next call tries again
        throw err;
      });
    return client;
  };
  return {
    model: config.llm.model,
    structured: async (request) => (await load()).structured(request),
  };
}

/**
 * The SQS consumer of one step's queue. A message is a StepJob; runStep claims the step in PostgreSQL, so a
 * redelivered message runs nothing twice, and schedules transient retries itself as new delayed messages. Only
 * what runStep cannot decide (the database away, a body that is not a job) fails the message.
 */
export function createStepConsumer(step: StepName, deps: () => StepConsumerDeps = stepConsumerDeps) {
  return (event: SQSEvent) => consumeStepMessages(deps(), step, event);
}

export function consumeStepMessages(
  deps: StepConsumerDeps,
  step: StepName,
  event: SQSEvent,
): Promise<SQSBatchResponse> {
  const consumer = createSqsStepConsumer({
    queue: deps.runner.queue,
    handler: (job) => runStep(deps.runner, job),
    ...(deps.now ? { now: deps.now } : {}),
  });
  return consumeRecords(event, async (record) => {
    const ctx = recordContext(record);
    try {
      const result = await consumer.consume(record);
      const log = { ...ctx, ...jobContext(result.job) };
      if (result.job.step !== step) deps.log.warn({ ...log, queue: step }, "message on another step's queue");
      if ("sentOnMs" in result) {
        // Longer than SQS's 15-minute delay: sent on for the time that is left.
        deps.log.info({ ...log, wait_ms: result.sentOnMs }, "step message not due yet; sent on");
      } else deps.log.info({ ...log, outcome: result.ran }, "step delivery done");
    } catch (err) {
      if (err instanceof PoisonMessageError) {
        deps.log.error({ ...ctx, err }, "message is not a step job; it will reach the dead-letter queue");
      } else {
        // The body parsed before the delivery failed: its job names what failed.
        const log = { ...ctx, ...jobContext(parseStepJob(record.body)) };
        deps.log.error({ ...log, err }, "step delivery failed; SQS will redeliver it");
      }
      throw err;
    }
  });
}
