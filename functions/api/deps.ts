import { createTokenSigner } from "@leadflow/core/auth/token";
import type { Config } from "@leadflow/core/config";
import { connectDatabase } from "@leadflow/core/db/client";
import { createLogger } from "@leadflow/core/logger";
import { createBullmqStepQueue } from "@leadflow/core/queue/bullmq";
import { Redis } from "ioredis";
import type { ApiDeps } from "./env.ts";

export function createApiDeps(config: Config): ApiDeps & { close(): Promise<void> } {
  const database = connectDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const queue = createBullmqStepQueue({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX });
  // Readiness asks Redis directly and must not queue the question while Redis is away.
  const redis = new Redis(config.REDIS_URL, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
  redis.on("error", () => {});
  return {
    config,
    database,
    queue,
    redis,
    tokens: createTokenSigner(config.JWT_SECRET, config.JWT_TTL_SECONDS),
    log: createLogger({ level: config.LOG_LEVEL, name: "leadflow-api" }),
    async close() {
      await queue.close();
      redis.disconnect();
      await database.close();
    },
  };
}
