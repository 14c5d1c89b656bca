import type { Config } from "../config.ts";
import type { StepRunnerSettings } from "./run-step.ts";

export function stepRunnerSettings(config: Config): StepRunnerSettings {
  return {
    maxAttempts: config.STEP_MAX_ATTEMPTS,
    maxReasks: config.STEP_MAX_REASKS,
    // A claim outlives the longest delivery we expect (every re-ask timing out) so it is never taken over early.
    leaseMs: Math.max(config.STALE_STEP_MS, (config.STEP_MAX_REASKS + 1) * config.LLM_TIMEOUT_MS + 5_000),
    backoff: {
      baseMs: config.STEP_BACKOFF_BASE_MS,
      capMs: config.STEP_BACKOFF_CAP_MS,
      maxRetryAfterMs: 5 * 60_000,
    },
  };
}
