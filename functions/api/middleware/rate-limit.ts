import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { clientIp } from "../client-ip.ts";
import type { AppEnv } from "../env.ts";
import { errorResponse } from "../errors.ts";

const WINDOW_MS = 60_000;

type KeyParts = (c: Context<AppEnv>) => string[] | Promise<string[]>;
const ipKey = (c: Context<AppEnv>) => `ip:${clientIp(c)}`;

/**
 * A fixed one-minute window per key, counted in the deployment's store (Redis, or PostgreSQL where there is no
 * Redis: RATE_LIMIT_STORE), shared by every API process. Each key part (an IP, an email, a user) has its own
 * budget of `limit(c)` requests; over any of them the answer is 429 with Retry-After. If the store is away the
 * request goes through: abuse limits must not turn a store outage into an API outage.
 */
export const rateLimit = (name: string, limit: (c: Context<AppEnv>) => number, keys: KeyParts) =>
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
      c.var.log.warn({ err, limit: name }, "rate limit unavailable; request allowed");
    }
    if (retryAfterMs > 0) {
      c.header("Retry-After", String(Math.ceil(retryAfterMs / 1000)));
      return errorResponse(c, "rate_limited", "Too many requests; try again later.");
    }
    await next();
  });

export const byIp = (c: Context<AppEnv>): string[] => [ipKey(c)];
