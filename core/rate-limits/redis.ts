import type { Redis } from "ioredis";
import type { RateLimitStore } from "./port.ts";

// INCR and the first PEXPIRE in one step, so a crash between them can never leave a counter without expiry.
const REDIS_HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`;

// Only an open window is decremented: a DECR on a lapsed key would make a counter with no expiry.
const REDIS_REFUND = `
if redis.call('PTTL', KEYS[1]) > 0 and tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  redis.call('DECR', KEYS[1])
end
return 0`;

/** A counter per key in Redis that expires with its window. */
export function redisRateLimitStore(redis: Redis, prefix: string): RateLimitStore {
  return {
    async hit(key, windowMs) {
      const [count, ttl] = (await redis.eval(REDIS_HIT, 1, `${prefix}:ratelimit:${key}`, windowMs)) as [
        number,
        number,
      ];
      return { count, resetMs: ttl > 0 ? ttl : windowMs };
    },
    async refund(key) {
      await redis.eval(REDIS_REFUND, 1, `${prefix}:ratelimit:${key}`);
    },
  };
}
