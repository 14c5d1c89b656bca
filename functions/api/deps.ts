import { createTokenSigner } from "@leadflow/core/auth/token";
import type { Config } from "@leadflow/core/config";
import { connectDatabase } from "@leadflow/core/db/client";
import { createLogger } from "@leadflow/core/logger";
import { createApiMetrics } from "@leadflow/core/metrics";
import { createStepQueueFromConfig } from "@leadflow/core/queue/from-config";
import { Redis } from "ioredis";
import type { ApiDeps } from "./env.ts";

export function createApiDeps(config: Config): ApiDeps & { close(): Promise<void> } {
  const database = connectDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const queue = createStepQueueFromConfig(config);
  const redis = config.QUEUE_DRIVER === "sqs" ? noRedis() : connectRedis(config.REDIS_URL);
  return {
    config,
    database,
    queue,
    redis,
    tokens: createTokenSigner(config.JWT_SECRET, config.JWT_TTL_SECONDS),
    log: createLogger({ level: config.LOG_LEVEL, name: "leadflow-api" }),
    metrics: createApiMetrics(),
    async close() {
      await queue.close();
      redis.disconnect();
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

/**
 * The SQS deployment (Lambda) has no Redis. Readiness then has nothing to wait for, and the Redis-backed rate
 * limits cannot count: their middleware lets the request through and logs why (docs/deploy.md says what caps
 * abuse on AWS instead).
 */
function noRedis(): Redis {
  const absent = () => Promise.reject(new Error("no Redis in this deployment (QUEUE_DRIVER=sqs)"));
  return { ping: async () => "PONG", eval: absent, disconnect() {}, on() {} } as unknown as Redis;
}
