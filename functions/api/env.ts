import type { TokenSigner } from "@leadflow/core/auth/token";
import type { Config } from "@leadflow/core/config";
import type { DatabaseHandle } from "@leadflow/core/db/client";
import type { Logger } from "@leadflow/core/logger";
import type { ApiMetrics } from "@leadflow/core/metrics";
import type { StepQueue } from "@leadflow/core/queue/port";
import type { Redis } from "ioredis";

/** Everything the API needs from the outside world, built once per process and handed to createApp. */
export interface ApiDeps {
  config: Config;
  database: DatabaseHandle;
  queue: StepQueue;
  redis: Redis;
  tokens: TokenSigner;
  log: Logger;
  metrics: ApiMetrics;
}

export interface AppEnv {
  Variables: {
    deps: ApiDeps;
    log: Logger;
    requestId: string;
    userId: string;
  };
}
