import { createTokenSigner } from "@leadflow/core/auth/token";
import { createSecretBox } from "@leadflow/core/channels/secrets";
import type { Config } from "@leadflow/core/config";
import { type ConnectOptions, connectDatabase, type DatabaseHandle } from "@leadflow/core/db/client";
import { API_ROLE } from "@leadflow/core/db/scoped";
import { createLogger } from "@leadflow/core/logger";
import { createApiMetrics } from "@leadflow/core/metrics";
import type { StepQueue } from "@leadflow/core/queue/port";
import type { RateLimitStore } from "@leadflow/core/rate-limits/port";
import { sql } from "drizzle-orm";
import type { ApiDeps, ReadinessChecks } from "./context.ts";

/** The clients one deployment chose: the processes' (deps.ts) or Lambda's (functions/lambda/api.ts). */
export interface ApiAdapters {
  queue: StepQueue;
  rateLimits: RateLimitStore;
  /** Checks beside the database's, for /readyz: Redis where it is used. The queue's own ping is added here. */
  readiness?: ReadinessChecks;
  close(): Promise<void>;
}

/**
 * The API's dependencies from the adapters its entry point built. No queue or store library is imported here, so
 * each entry's bundle carries only the clients it uses (the Lambda bundles have no BullMQ or ioredis).
 */
export function assembleApiDeps(
  config: Config,
  database: DatabaseHandle,
  adapters: ApiAdapters,
): ApiDeps & { close(): Promise<void> } {
  const { queue } = adapters;
  // Only what this deployment really depends on, so /readyz never vouches for something it did not ask.
  const readiness: ReadinessChecks = {
    database: () => database.db.execute(sql`select 1`),
    ...adapters.readiness,
  };
  const ping = queue.ping?.bind(queue);
  if (ping) readiness.queue = ping;
  return {
    config,
    database,
    queue,
    rateLimits: adapters.rateLimits,
    readiness,
    tokens: createTokenSigner(config.JWT_SECRET, config.JWT_TTL_SECONDS),
    channelSecrets: createSecretBox(config.CHANNEL_SECRETS_KEY ?? config.JWT_SECRET),
    log: createLogger({ level: config.LOG_LEVEL, name: "leadflow-api" }),
    metrics: createApiMetrics(),
    async close() {
      await queue.close();
      await adapters.close();
      await database.close();
    },
  };
}

/**
 * The API's pool. As the app's login (DATABASE_APP_URL), every session works as leadflow_api: outside asUser no
 * user is set, so row-level security shows no one's rows. leadflow_app's sessions start as leadflow_api by
 * themselves (migration 0004), which is all RDS Proxy allows without pinning (`login-default`); elsewhere the
 * start-up parameter says it too. Without DATABASE_APP_URL, the login user of DATABASE_URL.
 */
export function connectApiDatabase(
  config: Config,
  options: { apiRole?: "startup-option" | "login-default" } = {},
): DatabaseHandle {
  const apiRole: ConnectOptions = options.apiRole === "login-default" ? {} : { role: API_ROLE };
  return config.DATABASE_APP_URL
    ? connectDatabase(config.DATABASE_APP_URL, config.DATABASE_POOL_SIZE, apiRole)
    : connectDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
}
