/** One request counted against one key's fixed window: the count so far and how long until the window ends. */
export interface RateLimitHit {
  count: number;
  resetMs: number;
}

/** Where the API's rate limits count (RATE_LIMIT_STORE): shared by every API process or Lambda instance. */
export interface RateLimitStore {
  /** Counts one request against `key`, opening a window of `windowMs` when none is open. */
  hit(key: string, windowMs: number): Promise<RateLimitHit>;
  /**
   * Takes back one hit from `key`'s open window (none is opened, nothing goes below 0): for limits that count
   * failures only, which count each attempt first so parallel attempts cannot all slip under the limit.
   */
  refund(key: string): Promise<void>;
}
