export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** A provider's Retry-After is honoured up to this long; past it we would rather fail than wait. */
  maxRetryAfterMs: number;
}

/**
 * Exponential backoff with full jitter: a burst of failures spreads out instead of retrying in lockstep.
 * A Retry-After from the provider is a floor, never shortened by jitter.
 */
export function retryDelayMs(
  failureNumber: number,
  retryAfterMs: number | null,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, failureNumber - 1));
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs == null) return jittered;
  return Math.max(Math.min(retryAfterMs, policy.maxRetryAfterMs), jittered);
}
