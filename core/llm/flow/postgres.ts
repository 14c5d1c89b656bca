import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { millisecondsInterval } from "../../db/sql.ts";
import { type Admission, FLOW_WINDOW_MS, type FlowLimits, type ProviderFlow, spreadWake } from "./port.ts";

/**
 * Provider flow control in PostgreSQL, for deployments with no Redis (Lambda): the same decisions as the Redis
 * script, in one transaction per admission that holds the provider's advisory lock (admissions of one provider
 * queue on it, so two Lambdas can never both take the last slot), timed by the database's clock.
 */
export function postgresProviderFlow(
  db: Database,
  options: { provider: string; limits: FlowLimits; random?: () => number },
): ProviderFlow {
  const { provider, limits } = options;
  const window = millisecondsInterval(FLOW_WINDOW_MS);
  const epochMs = (column: string) => sql.raw(`(extract(epoch from ${column}) * 1000)::float8`);

  return {
    admit: () =>
      db.transaction(async (tx): Promise<Admission> => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`llm_flow:${provider}`}))`);
        const deny = async (freeAtMs: number, reason: "paused" | "requests" | "tokens") => {
          const { rows } = await tx.execute<{ deferred: number }>(sql`
            insert into llm_flow_state as s (provider, deferred, deferred_window_ends_at)
            values (${provider}, 1, now() + ${window})
            on conflict (provider) do update set
              deferred = case when s.deferred_window_ends_at > now() then s.deferred + 1 else 1 end,
              deferred_window_ends_at = case when s.deferred_window_ends_at > now()
                then s.deferred_window_ends_at else now() + ${window} end
            returning deferred`);
          const deferred = rows[0]?.deferred ?? 1;
          return {
            ok: false as const,
            untilMs: spreadWake(freeAtMs, deferred, limits, options.random),
            reason,
          };
        };

        const { rows: state } = await tx.execute<{ paused_until_ms: number | null; now_ms: number }>(sql`
          select ${epochMs("paused_until")} as paused_until_ms, ${epochMs("now()")} as now_ms
            from (select 1) one left join llm_flow_state on provider = ${provider}`);
        const { paused_until_ms: pausedUntil, now_ms: now } = state[0]!;
        if (pausedUntil !== null && pausedUntil > now) return deny(pausedUntil, "paused");

        await tx.execute(
          sql`delete from llm_flow_calls where provider = ${provider} and at <= now() - ${window}`,
        );
        const { rows: totals } = await tx.execute<{ calls: number; tokens: number }>(sql`
          select count(*)::int as calls, coalesce(sum(tokens), 0)::float8 as tokens
            from llm_flow_calls where provider = ${provider}`);
        const { calls, tokens } = totals[0]!;
        if (limits.requestsPerMinute && calls >= limits.requestsPerMinute) {
          const { rows } = await tx.execute<{ at_ms: number }>(sql`
            select ${epochMs("at")} as at_ms from llm_flow_calls where provider = ${provider}
             order by at, id offset ${calls - limits.requestsPerMinute} limit 1`);
          return deny((rows[0]?.at_ms ?? now) + FLOW_WINDOW_MS, "requests");
        }
        if (limits.tokensPerMinute && tokens >= limits.tokensPerMinute) {
          // The earliest call whose leaving the window brings the tokens under the limit.
          const { rows } = await tx.execute<{ at_ms: number }>(sql`
            select at_ms from (
              select ${epochMs("at")} as at_ms, sum(tokens) over (order by at, id) as leaving
                from llm_flow_calls where provider = ${provider}) w
             where ${tokens}::float8 - leaving < ${limits.tokensPerMinute}
             order by at_ms limit 1`);
          return deny((rows[0]?.at_ms ?? now) + FLOW_WINDOW_MS, "tokens");
        }
        const { rows } = await tx.execute<{ id: string }>(sql`
          insert into llm_flow_calls (provider, at) values (${provider}, now()) returning id::text`);
        return { ok: true, slot: rows[0]!.id };
      }),

    async charge(slot, tokens) {
      await db.execute(sql`
        update llm_flow_calls set tokens = ${Math.max(0, Math.round(tokens))}
         where id = ${slot}::bigint and provider = ${provider}`);
    },

    async pause(untilMs) {
      const until = sql`to_timestamp(${untilMs}::float8 / 1000)`;
      await db.execute(sql`
        insert into llm_flow_state as s (provider, paused_until) values (${provider}, ${until})
        on conflict (provider) do update set paused_until = greatest(coalesce(s.paused_until, ${until}), ${until})`);
    },
  };
}
