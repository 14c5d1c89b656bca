import { createTokenSigner } from "@leadflow/core/auth/token";
import type { Config } from "@leadflow/core/config";
import { type ConnectOptions, connectDatabase } from "@leadflow/core/db/client";
import { API_ROLE } from "@leadflow/core/db/scoped";
import { createLogger } from "@leadflow/core/logger";
import { createApiMetrics } from "@leadflow/core/metrics";
import { createStepQueueFromConfig } from "@leadflow/core/queue/from-config";
import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import type { ApiDeps, ReadinessChecks } from "./env.ts";
import { postgresRateLimitStore, redisRateLimitStore } from "./rate-limit-store.ts";

/**
 * The API's clients, as the configuration names them. Redis is connected only where something uses it: the
 * BullMQ queue or the Redis rate-limit store. The SQS deployment (Lambda) has none; its rate limits count in
 * PostgreSQL (RATE_LIMIT_STORE defaults to `postgres` with QUEUE_DRIVER=sqs).
 */
export function createApiDeps(
  config: Config,
  options: { apiRole?: "startup-option" | "login-default" } = {},
): ApiDeps & { close(): Promise<void> } {
  // As the app's login (DATABASE_APP_URL), every session works as leadflow_api: outside asUser no user is set,
  // so row-level security shows no one's rows. leadflow_app's sessions start as leadflow_api by themselves
  // (migration 0004), which is all RDS Proxy allows without pinning; elsewhere the start-up parameter says it
  // too. (Without DATABASE_APP_URL, the login user of DATABASE_URL, as before.)
  const apiRole: ConnectOptions = options.apiRole === "login-default" ? {} : { role: API_ROLE };
  const database = config.DATABASE_APP_URL
    ? connectDatabase(config.DATABASE_APP_URL, config.DATABASE_POOL_SIZE, apiRole)
    : connectDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const queue = createStepQueueFromConfig(config);
  const usesRedis = config.QUEUE_DRIVER === "bullmq" || config.RATE_LIMIT_STORE === "redis";
  const redis = usesRedis ? connectRedis(config.REDIS_URL) : undefined;
  const rateLimits =
    config.RATE_LIMIT_STORE === "redis" && redis
      ? redisRateLimitStore(redis, config.REDIS_PREFIX)
      : postgresRateLimitStore(database.db);
  // Only what this deployment really depends on, so /readyz never vouches for something it did not ask.
  const readiness: ReadinessChecks = { database: () => database.db.execute(sql`select 1`) };
  if (redis) readiness.redis = () => redis.ping();
  const ping = queue.ping?.bind(queue);
  if (ping) readiness.queue = ping;
  return {
    config,
    database,
    queue,
    rateLimits,
    readiness,
    tokens: createTokenSigner(config.JWT_SECRET, config.JWT_TTL_SECONDS),
    log: createLogger({ level: config.LOG_LEVEL, name: "leadflow-api" }),
    metrics: createApiMetrics(),
    async close() {
      await queue.close();
      redis?.disconnect();
      await database.close();
    },
  };
}

/** Readiness and rate limits ask Redis directly: one reconnect at most, so an outage answers fast. */
function connectRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 1_000 });
  redis.on("error", () => {});
  return redis;
}
