import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { millisecondsInterval } from "../db/sql.ts";
import type { RateLimitStore } from "./port.ts";

/** Expired rows of other keys deleted by each hit: more than a hit can create (one), so they cannot pile up. */
export const PRUNE_PER_HIT = 10;

/** The stored key: no address or email at rest, and a fixed 32 bytes whatever the key. */
export const rateLimitKeyDigest = (key: string) => createHash("sha256").update(key).digest();

/**
 * A row per key in PostgreSQL (`rate_limit_counters`), for deployments with no Redis (Lambda). One statement per
 * hit, timed by the database's clock so every instance agrees: it opens a window or counts into the open one (an
 * upsert; concurrent hits on one key queue on its row, so none is lost), returns the count and the time left,
 * and deletes up to PRUNE_PER_HIT expired rows of other keys (SKIP LOCKED: rows another hit holds are left to the
 * next). An expired row of the same key is simply reopened.
 */
export function postgresRateLimitStore(db: Queryable): RateLimitStore {
  return {
    async hit(key, windowMs) {
      const digest = rateLimitKeyDigest(key);
      const { rows } = await db.execute<{ count: number; reset_ms: number }>(sql`
        with pruned as (
          delete from rate_limit_counters
          where key in (
            select key from rate_limit_counters
            where window_ends_at <= now() and key <> ${digest}
            limit ${PRUNE_PER_HIT}
            for update skip locked
          )
        )
        insert into rate_limit_counters as c (key, count, window_ends_at)
        values (${digest}, 1, now() + ${millisecondsInterval(windowMs)})
        on conflict (key) do update set
          count = case when c.window_ends_at > now() then c.count + 1 else 1 end,
          window_ends_at = case when c.window_ends_at > now() then c.window_ends_at else excluded.window_ends_at end
        returning
          count,
          ceil(extract(epoch from (window_ends_at - now())) * 1000)::int as reset_ms`);
      const row = rows[0];
      if (!row) throw new Error("rate limit upsert returned no row");
      // window_ends_at is kept to the millisecond, so rounding can put it a fraction past now + windowMs.
      return { count: row.count, resetMs: row.reset_ms > 0 ? Math.min(row.reset_ms, windowMs) : windowMs };
    },
    async refund(key) {
      await db.execute(sql`
        update rate_limit_counters set count = count - 1
        where key = ${rateLimitKeyDigest(key)} and window_ends_at > now() and count > 0`);
    },
  };
}
