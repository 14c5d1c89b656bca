import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { clientIp } from "../client-ip.ts";
import type { AppEnv } from "../env.ts";
import { errorResponse } from "../errors.ts";

const WINDOW_MS = 60_000;

// INCR and the first PEXPIRE in one step, so a crash between them can never leave a counter without expiry.
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`;

type KeyParts = (c: Context<AppEnv>) => string[] | Promise<string[]>;
const ipKey = (c: Context<AppEnv>) => `ip:${clientIp(c)}`;

/**
 * A fixed one-minute window per key in Redis, shared by every API process. Each key part (an IP, an email, a
 * user) has its own budget of `limit(c)` requests; over any of them the answer is 429 with Retry-After. If Redis
 * is away the request goes through: abuse limits must not turn a cache outage into an API outage.
 */
export const rateLimit = (name: string, limit: (c: Context<AppEnv>) => number, keys: KeyParts) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { redis, config } = c.var.deps;
    const max = limit(c);
    let retryAfterMs = 0;
    try {
      for (const part of await keys(c)) {
        const key = `${config.REDIS_PREFIX}:ratelimit:${name}:${part}`;
        const [count, ttl] = (await redis.eval(HIT, 1, key, WINDOW_MS)) as [number, number];
        if (count > max) retryAfterMs = Math.max(retryAfterMs, ttl > 0 ? ttl : WINDOW_MS);
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
