import type { Config } from "@leadflow/core/config";
import { connectDatabase } from "@leadflow/core/db/client";
import { WORKER_ROLE } from "@leadflow/core/db/scoped";
import { createLlmClientFromConfig } from "@leadflow/core/llm/client";
import { providerFlowFromConfig } from "@leadflow/core/llm/flow/from-config";
import type { LlmClient } from "@leadflow/core/llm/types";
import type { Logger } from "@leadflow/core/logger";
import { createWorkerMetrics } from "@leadflow/core/metrics";
import { createBullmqStepQueue, startBullmqWorkers } from "@leadflow/core/queue/bullmq";
import { stepJobId } from "@leadflow/core/queue/port";
import { runStep } from "@leadflow/core/workflow/run-step";
import { stepRunnerSettings } from "@leadflow/core/workflow/settings";
import { serveMetrics } from "./metrics-server.ts";
import { startReconciler } from "./reconciler.ts";
import { startWebhookDelivery } from "./webhooks.ts";

/** The worker process's parts: a processor per step queue, each a thin call into core's runStep. */
export function startWorker(config: Config, log: Logger, llm: LlmClient = createLlmClientFromConfig(config)) {
  // The worker serves every user, as its own role: the row-level security policies let it see all rows.
  // DATABASE_APP_URL's login is neither superuser nor owner: nothing the worker runs can escape that role.
  const database = connectDatabase(
    config.DATABASE_APP_URL ?? config.DATABASE_URL,
    config.DATABASE_POOL_SIZE,
    {
      role: WORKER_ROLE,
    },
  );
  const queue = createBullmqStepQueue({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX });
  const metrics = createWorkerMetrics(() => queue.stats());
  const metricsServer = serveMetrics(metrics.registry, config.WORKER_METRICS_PORT, log, config.METRICS_TOKEN);
  const providerFlow = providerFlowFromConfig(config, database.db);
  const deps = {
    db: database.db,
    queue,
    llm,
    settings: stepRunnerSettings(config),
    log,
    observer: metrics.observer,
    flow: providerFlow.flow,
  };
  const consumers = startBullmqWorkers({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    // A dead worker's fetched jobs come free no later than the reconciler may act on their steps (STALE_STEP_MS),
    // but never so soon that a busy event loop misses its lock renewals (at half the lock) and loses live jobs.
    lockMs: Math.min(30_000, Math.max(1_000, config.STALE_STEP_MS)),
    handler: async (job) => {
      const outcome = await runStep(deps, job);
      log.debug({ workflow_id: job.workflowId, step: job.step, try: job.try, outcome }, "step delivery done");
    },
  });
  consumers.onFailed((err, delivery) =>
    log.error({ err, job_id: delivery ? stepJobId(delivery.job) : undefined }, "step job threw"),
  );
  consumers.onError((err) => log.error({ err }, "worker error"));
  const reconciler = startReconciler(
    deps,
    // A step waiting its turn in a busy queue is not lost; one left unstarted for as long as a claim may last is.
    { intervalMs: config.RECONCILE_INTERVAL_MS, graceMs: config.STALE_STEP_MS },
    log,
  );
  const webhooks = config.WORKER_WEBHOOKS === "true" ? startWebhookDelivery(config, database.db, log) : null;
  return {
    deps,
    /** The pool behind `deps.db`, for whoever watches its pressure. */
    pool: database.pool,
    consumers,
    reconciler,
    webhooks,
    metrics: { registry: metrics.registry, port: metricsServer.port },
    /** Finishes the jobs in hand (BullMQ waits for them), then lets go of Redis and PostgreSQL. */
    async close() {
      await reconciler.stop();
      await webhooks?.close();
      await consumers.close();
      await queue.close();
      await providerFlow.close();
      await database.close();
      await metricsServer.close();
    },
  };
}
