import type { TokenClaims, TokenSigner } from "@leadflow/core/auth/token";
import type { ChannelRow } from "@leadflow/core/channels/channels";
import type { SecretBox } from "@leadflow/core/channels/secrets";
import type { Config } from "@leadflow/core/config";
import type { DatabaseHandle } from "@leadflow/core/db/client";
import type { Logger } from "@leadflow/core/logger";
import type { ApiMetrics } from "@leadflow/core/metrics";
import type { StepQueue } from "@leadflow/core/queue/port";
import type { RateLimitStore } from "@leadflow/core/rate-limits/port";

/** A dependency `GET /readyz` reports by name: ready when the check resolves (in time). */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

/** Everything the API needs from the outside world, built once per process and handed to createApp. */
export interface ApiDeps {
  config: Config;
  database: DatabaseHandle;
  queue: StepQueue;
  rateLimits: RateLimitStore;
  /** What this deployment depends on and /readyz checks: the database always, then Redis or the queue service. */
  readiness: ReadinessChecks;
  tokens: TokenSigner;
  /** Seals and opens the channel secrets that verify HMACs (WhatsApp's app secret, Mailgun's signing key). */
  channelSecrets: SecretBox;
  log: Logger;
  metrics: ApiMetrics;
}

/** Hono's context types: what every request carries once requestContext and requireUser have run. */
export interface AppEnv {
  Variables: {
    deps: ApiDeps;
    log: Logger;
    requestId: string;
    userId: string;
    /** The signed-in caller's token (set by requireUser): what POST /auth/logout revokes. */
    token: TokenClaims;
    /** Set instead of `token` when a machine client called with one of the user's API keys. */
    apiKeyId?: string;
    /** The web-chat channel a request addresses, found (and its origin checked) before the handler runs. */
    webChatChannel?: ChannelRow;
  };
}
