import { randomUUID } from "node:crypto";
import { type Admission, FLOW_WINDOW_MS, type FlowLimits, type ProviderFlow, spreadWake } from "./port.ts";

/**
 * The same decisions in one process's memory, for a caller that is the only one using the provider (the
 * evaluation CLI): no store to set up, the same limits and pauses.
 */
export function memoryProviderFlow(
  limits: FlowLimits,
  options: { now?: () => number; random?: () => number } = {},
): ProviderFlow {
  const now = options.now ?? Date.now;
  const calls: { slot: string; at: number; tokens: number }[] = [];
  let pausedUntil = 0;
  let deferred = { count: 0, windowEndsAt: 0 };
  const deny = (freeAtMs: number, reason: "paused" | "requests" | "tokens"): Admission => {
    const t = now();
    deferred =
      t < deferred.windowEndsAt
        ? { ...deferred, count: deferred.count + 1 }
        : { count: 1, windowEndsAt: t + FLOW_WINDOW_MS };
    return { ok: false, untilMs: spreadWake(freeAtMs, deferred.count, limits, options.random), reason };
  };
  return {
    async admit() {
      const t = now();
      if (pausedUntil > t) return deny(pausedUntil, "paused");
      while (calls.length && calls[0]!.at <= t - FLOW_WINDOW_MS) calls.shift();
      const { requestsPerMinute: rpm, tokensPerMinute: tpm } = limits;
      if (rpm && calls.length >= rpm) return deny(calls[calls.length - rpm]!.at + FLOW_WINDOW_MS, "requests");
      let total = calls.reduce((sum, c) => sum + c.tokens, 0);
      if (tpm && total >= tpm) {
        for (const call of calls) {
          total -= call.tokens;
          if (total < tpm) return deny(call.at + FLOW_WINDOW_MS, "tokens");
        }
      }
      const slot = randomUUID();
      calls.push({ slot, at: t, tokens: 0 });
      return { ok: true, slot };
    },
    async charge(slot, tokens) {
      const call = calls.find((c) => c.slot === slot);
      if (call) call.tokens = Math.max(0, Math.round(tokens));
    },
    async pause(untilMs) {
      pausedUntil = Math.max(pausedUntil, untilMs);
    },
  };
}
