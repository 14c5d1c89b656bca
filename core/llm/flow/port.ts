import { createHash } from "node:crypto";

/**
 * Provider flow control, shared by every worker and Lambda that calls one model provider: at most
 * `requestsPerMinute` calls in any 60 seconds, at most `tokensPerMinute` tokens reported by the answers of the
 * calls in the last 60 seconds, and no call at all while the provider has asked us (429 + Retry-After) to wait.
 *
 * BullMQ's own limiter does not fit: it counts jobs of one queue, while one provider serves three step queues
 * and a job may make several calls (re-asks); it cannot count tokens; and there is no BullMQ on Lambda. So the
 * gate sits in front of each model call, in the runner, whatever the queue.
 */
export interface FlowLimits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

export type Admission =
  /** Go ahead; `slot` names this call for the tokens its answer reports. */
  | { ok: true; slot: string }
  /** Come back at `untilMs` (epoch ms, already spread so that waiting callers do not all wake at once). */
  | { ok: false; untilMs: number; reason: "paused" | "requests" | "tokens" };

export interface ProviderFlow {
  /** Takes a call slot now, or says when to ask again. */
  admit(): Promise<Admission>;
  /** Charges the tokens a call's answer reported against its slot (the tokens budget counts them). */
  charge(slot: string, tokens: number): Promise<void>;
  /** A 429 with Retry-After: every call to this provider waits until `untilMs`. */
  pause(untilMs: number): Promise<void>;
}

export const FLOW_WINDOW_MS = 60_000;

/** The provider's name in the shared store: a digest of where the calls go, so two deployments of one key agree. */
export function providerKey(baseURL: string | undefined): string {
  return createHash("sha256")
    .update(baseURL ?? "https://api.openai.com/v1")
    .digest("hex")
    .slice(0, 16);
}

/**
 * When a turned-away call should come back: when the blocking call leaves the window, plus a spread that grows
 * with how many calls were turned away this minute, so a backlog wakes over the time the budget frees slots
 * rather than all at the instant one slot frees.
 */
export function spreadWake(
  freeAtMs: number,
  deferredThisMinute: number,
  limits: FlowLimits,
  random: () => number = Math.random,
): number {
  const interval = limits.requestsPerMinute ? FLOW_WINDOW_MS / limits.requestsPerMinute : 1_000;
  const spread = Math.min(FLOW_WINDOW_MS, interval * Math.max(1, deferredThisMinute));
  return Math.ceil(freeAtMs + random() * spread);
}
