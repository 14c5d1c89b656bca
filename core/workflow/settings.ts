import type { Config } from "../config.ts";
import type { StepRunnerSettings } from "./run-step.ts";

export function stepRunnerSettings(config: Config): StepRunnerSettings {
  return {
    maxAttempts: config.STEP_MAX_ATTEMPTS,
    maxReasks: config.STEP_MAX_REASKS,
    // The claim is renewed at every model call, so it only has to outlive one call (plus the writes around it):
    // a step is never taken over while its worker is alive, and is found within STALE_STEP_MS after it dies.
    leaseMs: Math.max(config.STALE_STEP_MS, config.LLM_TIMEOUT_MS + 2_000),
    maxTakeovers: config.STEP_MAX_TAKEOVERS,
    userDailyTokenBudget: config.USER_DAILY_TOKEN_BUDGET,
    pricing: config.llm.pricing,
    backoff: {
      baseMs: config.STEP_BACKOFF_BASE_MS,
      capMs: config.STEP_BACKOFF_CAP_MS,
      maxRetryAfterMs: 5 * 60_000,
    },
  };
}
