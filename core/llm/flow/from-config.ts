import { Redis } from "ioredis";
import type { Config } from "../../config.ts";
import type { Database } from "../../db/client.ts";
import { type ProviderFlow, providerKey } from "./port.ts";
import { postgresProviderFlow } from "./postgres.ts";
import { redisProviderFlow } from "./redis.ts";

/**
 * The deployment's provider flow control, in the store its rate limits use (RATE_LIMIT_STORE): Redis where the
 * queues run on it, PostgreSQL on Lambda. Always on, even with no limits set, so a 429's Retry-After pauses
 * every worker.
 */
export function providerFlowFromConfig(
  config: Config,
  db: Database,
): { flow: ProviderFlow; close(): Promise<void> } {
  const provider = providerKey(config.llm.baseURL);
  const limits = {
    requestsPerMinute: config.llm.requestsPerMinute,
    tokensPerMinute: config.llm.tokensPerMinute,
  };
  if (config.RATE_LIMIT_STORE === "postgres") {
    return { flow: postgresProviderFlow(db, { provider, limits }), close: async () => {} };
  }
  // Each command waits briefly: a flow store that cannot answer lets the call through (see runStep's admission).
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  redis.on("error", () => {});
  return {
    flow: redisProviderFlow(redis, { prefix: config.REDIS_PREFIX, provider, limits }),
    close: async () => {
      redis.disconnect();
    },
  };
}
