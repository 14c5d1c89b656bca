import type { Config } from "@leadflow/core/config";
import { createStepQueueFromConfig } from "@leadflow/core/queue/from-config";
import { postgresRateLimitStore } from "@leadflow/core/rate-limits/postgres";
import { redisRateLimitStore } from "@leadflow/core/rate-limits/redis";
import { Redis } from "ioredis";
import { assembleApiDeps, connectApiDatabase } from "./assemble-deps.ts";
import type { ApiDeps } from "./context.ts";

/**
 * The API's clients in a process or container, as the configuration names them. Redis is connected only where
 * something uses it: the BullMQ queue or the Redis rate-limit store. (Lambda builds its own: functions/lambda/api.ts.)
 */
export function createApiDeps(
  config: Config,
  options: { apiRole?: "startup-option" | "login-default" } = {},
): ApiDeps & { close(): Promise<void> } {
  const database = connectApiDatabase(config, options);
  const usesRedis = config.QUEUE_DRIVER === "bullmq" || config.RATE_LIMIT_STORE === "redis";
  const redis = usesRedis ? connectRedis(config.REDIS_URL) : undefined;
  return assembleApiDeps(config, database, {
    queue: createStepQueueFromConfig(config),
    rateLimits:
      config.RATE_LIMIT_STORE === "redis" && redis
        ? redisRateLimitStore(redis, config.REDIS_PREFIX)
        : postgresRateLimitStore(database.db),
    readiness: redis ? { redis: () => redis.ping() } : {},
    async close() {
      redis?.disconnect();
    },
  });
}

/** Readiness and rate limits ask Redis directly: one reconnect at most, so an outage answers fast. */
function connectRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 1_000 });
  redis.on("error", () => {});
  return redis;
}
