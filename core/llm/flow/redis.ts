import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { type Admission, FLOW_WINDOW_MS, type FlowLimits, type ProviderFlow, spreadWake } from "./port.ts";

/**
 * One script decides each admission atomically on Redis's own clock (workers' clocks may disagree): it drops
 * calls older than the window, refuses while paused, over the requests limit or over the tokens reported in the
 * window, and otherwise records the call. Calls are a sorted set by time; their tokens a hash by slot.
 * Returns {1} or {0, free_at_ms, deferred_this_minute, reason}.
 */
const ADMIT = `
local calls, tokens, pause, deferred = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local rpm, tpm, window, slot = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function deny(free_at, reason)
  local n = redis.call('INCR', deferred)
  if n == 1 then redis.call('PEXPIRE', deferred, window) end
  return {0, free_at, n, reason}
end
local paused = tonumber(redis.call('GET', pause) or '0')
if paused > now then return deny(paused, 'paused') end
while true do
  local old = redis.call('ZRANGEBYSCORE', calls, '-inf', now - window, 'LIMIT', 0, 500)
  if #old == 0 then break end
  redis.call('ZREM', calls, unpack(old))
  redis.call('HDEL', tokens, unpack(old))
end
local n = redis.call('ZCARD', calls)
if rpm > 0 and n >= rpm then
  local blocking = redis.call('ZRANGE', calls, n - rpm, n - rpm, 'WITHSCORES')
  return deny(tonumber(blocking[2]) + window, 'requests')
end
if tpm > 0 then
  local total = 0
  for _, v in ipairs(redis.call('HVALS', tokens)) do total = total + tonumber(v) end
  if total >= tpm then
    local entries = redis.call('ZRANGE', calls, 0, -1, 'WITHSCORES')
    for i = 1, #entries, 2 do
      total = total - tonumber(redis.call('HGET', tokens, entries[i]) or '0')
      if total < tpm then return deny(tonumber(entries[i + 1]) + window, 'tokens') end
    end
    return deny(now + window, 'tokens')
  end
end
redis.call('ZADD', calls, now, slot)
redis.call('HSET', tokens, slot, 0)
redis.call('PEXPIRE', calls, window * 2)
redis.call('PEXPIRE', tokens, window * 2)
return {1}`;

const CHARGE = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
return 1`;

// Only ever moves the pause later: two 429s in a row keep the longer wait.
const PAUSE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilMs = tonumber(ARGV[1])
if untilMs > current then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if untilMs > now then redis.call('SET', KEYS[1], untilMs, 'PX', untilMs - now) end
end
return 1`;

export function redisProviderFlow(
  redis: Redis,
  options: { prefix: string; provider: string; limits: FlowLimits; random?: () => number },
): ProviderFlow {
  const base = `${options.prefix}:llmflow:${options.provider}`;
  const keys = [`${base}:calls`, `${base}:tokens`, `${base}:pause`, `${base}:deferred`];
  const { limits } = options;
  return {
    async admit(): Promise<Admission> {
      const slot = randomUUID();
      const reply = (await redis.eval(
        ADMIT,
        keys.length,
        ...keys,
        limits.requestsPerMinute ?? 0,
        limits.tokensPerMinute ?? 0,
        FLOW_WINDOW_MS,
        slot,
      )) as [number, number?, number?, string?];
      if (reply[0] === 1) return { ok: true, slot };
      const [, freeAt = Date.now(), deferred = 1, reason = "requests"] = reply;
      return {
        ok: false,
        untilMs: spreadWake(freeAt, deferred, limits, options.random),
        reason: reason as "paused" | "requests" | "tokens",
      };
    },
    async charge(slot, tokens) {
      await redis.eval(CHARGE, 2, keys[0]!, keys[1]!, slot, Math.max(0, Math.round(tokens)));
    },
    async pause(untilMs) {
      await redis.eval(PAUSE, 1, keys[2]!, Math.round(untilMs));
    },
  };
}
