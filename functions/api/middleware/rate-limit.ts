import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { clientIp } from "../client-ip.ts";
import type { AppEnv } from "../context.ts";
import { errorResponse } from "../errors.ts";

const WINDOW_MS = 60_000;

type KeyParts = (c: Context<AppEnv>) => string[] | Promise<string[]>;
const ipKey = (c: Context<AppEnv>) => `ip:${clientIp(c)}`;

/**
 * What a limit does when its store is away. `open` lets the request through: an abuse limit must not turn a
 * store outage into an API outage. `closed` answers 503: where the limit is what stops password guessing (/auth),
 * an outage must not lift it.
 */
export type StoreDown = "open" | "closed";

function storeUnavailable(c: Context<AppEnv>, name: string, err: unknown, whenDown: StoreDown) {
  if (whenDown === "open") {
    c.var.log.warn({ err, limit: name }, "rate limit unavailable; request allowed");
    return undefined;
  }
  c.var.log.error({ err, limit: name }, "rate limit unavailable; request refused");
  c.header("Retry-After", "5");
  return errorResponse(c, "service_unavailable", "Sign-in is unavailable for a moment; try again shortly.");
}

function tooMany(c: Context<AppEnv>, retryAfterMs: number) {
  c.header("Retry-After", String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return errorResponse(c, "rate_limited", "Too many requests; try again later.");
}

/**
 * A fixed one-minute window per key, counted in the deployment's store (Redis, or PostgreSQL where there is no
 * Redis: RATE_LIMIT_STORE), shared by every API process. Each key part (an IP, an email, a user) has its own
 * budget of `limit(c)` requests; over any of them the answer is 429 with Retry-After.
 */
export const rateLimit = (
  name: string,
  limit: (c: Context<AppEnv>) => number,
  keys: KeyParts,
  whenDown: StoreDown = "open",
) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { rateLimits } = c.var.deps;
    const max = limit(c);
    let retryAfterMs = 0;
    try {
      for (const part of await keys(c)) {
        const { count, resetMs } = await rateLimits.hit(`${name}:${part}`, WINDOW_MS);
        if (count > max) retryAfterMs = Math.max(retryAfterMs, resetMs);
      }
    } catch (err) {
      const refused = storeUnavailable(c, name, err, whenDown);
      if (refused) return refused;
    }
    if (retryAfterMs > 0) return tooMany(c, retryAfterMs);
    await next();
  });

/**
 * Counts only the requests the handler refused (a 4xx answer), and refuses more once `limit(c)` of them fell in
 * the window: for a per-account limit, so its owner's sign-ins never spend it. Each attempt is counted first and
 * given back unless it failed (or was refused over the limit), so attempts sent in parallel cannot all pass a
 * limit they would exceed together. A request whose key is null (nothing to count it against) passes uncounted.
 */
export const failureLimit = (
  name: string,
  limit: (c: Context<AppEnv>) => number,
  key: (c: Context<AppEnv>) => string | null | Promise<string | null>,
  whenDown: StoreDown = "open",
) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { rateLimits } = c.var.deps;
    const part = await key(c);
    if (part === null) return next();
    const counter = `${name}:${part}`;
    try {
      const { count, resetMs } = await rateLimits.hit(counter, WINDOW_MS);
      if (count > limit(c)) {
        await rateLimits.refund(counter);
        return tooMany(c, resetMs);
      }
    } catch (err) {
      const refused = storeUnavailable(c, name, err, whenDown);
      if (refused) return refused;
      return next();
    }
    await next();
    if (c.res.status < 400 || c.res.status >= 500) {
      try {
        await rateLimits.refund(counter);
      } catch (err) {
        c.var.log.warn({ err, limit: name }, "rate limit unavailable; attempt left counted");
      }
    }
  });

export const byIp = (c: Context<AppEnv>): string[] => [ipKey(c)];
