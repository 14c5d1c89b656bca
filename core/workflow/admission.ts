import type { StructuredResult } from "../llm/types.ts";
import type { Claim } from "./claim.ts";
import type { StepRunnerDeps, StepRunnerLogger } from "./run-step.ts";
import type { Waiting } from "./settle.ts";

/** How long a step waits when the flow store cannot say whether it may call. */
const FLOW_UNAVAILABLE_WAIT_MS = 5_000;

export type Gate = { slot: string | null } | { waiting: Waiting };

/**
 * Whether this call may go out now: the user's daily budget first (no provider slot is taken for a call that
 * would wait anyway), then the provider's shared flow control. A flow store that cannot answer holds the call
 * back a few seconds rather than let it through: the limit is a promise to the provider, kept during an outage.
 */
export async function admission(
  deps: StepRunnerDeps,
  claim: Claim,
  spentTokens: number,
  log: StepRunnerLogger,
  ctx: Record<string, unknown>,
): Promise<Gate> {
  const budget = deps.settings.userDailyTokenBudget;
  if (budget > 0 && claim.userTokensToday + spentTokens >= budget) {
    return { waiting: { reason: "user_budget", untilMs: nextUtcDay(now(deps), deps.random) } };
  }
  if (!deps.flow) return { slot: null };
  try {
    const admitted = await deps.flow.admit();
    if (admitted.ok) return { slot: admitted.slot };
    return { waiting: { reason: "provider_rate_limit", untilMs: admitted.untilMs } };
  } catch (err) {
    log.warn({ ...ctx, err }, "provider flow control unavailable; the step waits");
    return { waiting: { reason: "provider_rate_limit", untilMs: now(deps) + FLOW_UNAVAILABLE_WAIT_MS } };
  }
}

/** Tokens the answer reported are charged to the call's slot; a 429 with Retry-After pauses every call. */
export async function reportToFlow(
  deps: Pick<StepRunnerDeps, "flow" | "now">,
  slot: string | null,
  result: StructuredResult<unknown>,
  log: StepRunnerLogger,
  ctx: Record<string, unknown>,
) {
  if (!deps.flow) return;
  try {
    const tokens = result.call.tokens?.total ?? 0;
    if (slot && tokens > 0) await deps.flow.charge(slot, tokens);
    if (result.outcome === "error" && result.error.code === "LLM_RATE_LIMITED" && result.retryAfterMs) {
      await deps.flow.pause(now(deps) + result.retryAfterMs);
    }
  } catch (err) {
    log.warn({ ...ctx, err }, "provider flow control unavailable; the call was not counted");
  }
}

/** Midnight UTC after `nowMs`, spread over a minute so a day's waiting steps do not all wake at once. */
function nextUtcDay(nowMs: number, random: () => number = Math.random): number {
  const midnight = new Date(nowMs);
  midnight.setUTCHours(24, 0, 0, 0);
  return midnight.getTime() + Math.floor(random() * 60_000);
}

export const now = (deps: Pick<StepRunnerDeps, "now">) => (deps.now ?? Date.now)();
