import { sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { effectiveRouting } from "../handling/effective.ts";
import { workStats } from "../handling/work-stats.ts";
import { STEP_NAMES } from "../schemas/workflow.ts";
import { type CountByKey, type LeadStats, roundUsd, type StatsPeriod } from "./views.ts";

export type { CountByKey, LeadStats, RateByCode, StatsPeriod, StepLatency } from "./views.ts";

/** The windows the overview can look back over, in milliseconds. */
export const STATS_PERIODS = {
  "24h": 24 * 60 * 60 * 1000,
  "7d": 7 * 24 * 60 * 60 * 1000,
  "30d": 30 * 24 * 60 * 60 * 1000,
} as const satisfies Record<StatsPeriod, number>;

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const ms = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));

/**
 * Aggregates over the caller's own workflows, steps and model calls in the period. Every query is filtered by
 * user_id (row-level security is a second line, not the first), and each uses the user-leading indexes.
 */
export async function leadStats(
  db: Queryable,
  userId: string,
  period: StatsPeriod,
  now: Date = new Date(),
): Promise<LeadStats> {
  const since = new Date(now.getTime() - STATS_PERIODS[period]);
  const inPeriod = sql`w.user_id = ${userId} and w.lead_created_at >= ${since} and w.lead_created_at <= ${now}`;

  const totalsResult = await db.execute(sql`
    select count(*)::int as leads,
      count(*) filter (where w.status = 'pending')::int as pending,
      count(*) filter (where w.status = 'processing')::int as processing,
      count(*) filter (where w.status = 'completed')::int as completed,
      count(*) filter (where w.status = 'failed')::int as failed
    from workflows w where ${inPeriod}`);
  const t = totalsResult.rows[0] ?? {};
  const totals = {
    leads: num(t.leads),
    pending: num(t.pending),
    processing: num(t.processing),
    completed: num(t.completed),
    failed: num(t.failed),
  };

  const routing = effectiveRouting("w");
  const countBy = async (column: "category" | "queue" | "priority"): Promise<CountByKey[]> => {
    const result = await db.execute(sql`
      select ${routing[column]} as key, count(*)::int as count
      from workflows w where ${inPeriod}
      group by 1 order by count desc, key asc nulls last`);
    return result.rows.map((r) => ({ key: (r.key as string | null) ?? null, count: num(r.count) }));
  };
  const by_category = await countBy("category");
  const by_queue = await countBy("queue");
  const by_priority = await countBy("priority");

  // A workflow that failed and was then retried to completion still counts: the event log keeps every failure.
  const failedResult = await db.execute(sql`
    select coalesce(e.detail->>'code', 'INTERNAL') as code,
      count(distinct e.workflow_id)::int as count,
      count(distinct e.workflow_id) filter (
        where w.status = 'failed' and coalesce(w.error->>'code', 'INTERNAL') = coalesce(e.detail->>'code', 'INTERNAL')
      )::int as still_failed
    from workflow_events e join workflows w on w.id = e.workflow_id
    where ${inPeriod} and e.user_id = ${userId} and e.type = 'workflow_failed'
    group by 1 order by count desc, code asc`);
  const workflows = failedResult.rows.map((r) => ({
    code: String(r.code),
    count: num(r.count),
    still_failed: num(r.still_failed),
    rate: totals.leads ? num(r.count) / totals.leads : 0,
  }));

  const callsResult = await db.execute(sql`
    select a.error->>'code' as code, count(*)::int as count,
      coalesce(sum((a.tokens->>'prompt')::bigint), 0)::float8 as prompt_tokens,
      coalesce(sum((a.tokens->>'completion')::bigint), 0)::float8 as completion_tokens,
      coalesce(sum(a.cost_usd), 0)::float8 as cost_usd
    from step_attempts a
    where a.user_id = ${userId} and a.created_at >= ${since} and a.created_at <= ${now}
    group by 1`);
  const callsTotal = callsResult.rows.reduce((sum, r) => sum + num(r.count), 0);
  const total = (column: string) => callsResult.rows.reduce((sum, r) => sum + num(r[column]), 0);
  const calls = callsResult.rows
    .filter((r) => r.code !== null && r.code !== undefined)
    .map((r) => ({
      code: String(r.code),
      count: num(r.count),
      rate: callsTotal ? num(r.count) / callsTotal : 0,
    }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));

  const stepResult = await db.execute(sql`
    select s.name as step, count(*)::int as samples,
      percentile_cont(0.5) within group (order by extract(epoch from s.finished_at - s.started_at) * 1000) as p50,
      percentile_cont(0.95) within group (order by extract(epoch from s.finished_at - s.started_at) * 1000) as p95
    from workflow_steps s
    where s.user_id = ${userId} and s.status = 'completed'
      and s.started_at is not null and s.finished_at >= ${since} and s.finished_at <= ${now}
    group by s.name`);
  const callResult = await db.execute(sql`
    select a.step as step, count(*)::int as calls,
      percentile_cont(0.5) within group (order by a.latency_ms) as p50,
      percentile_cont(0.95) within group (order by a.latency_ms) as p95
    from step_attempts a
    where a.user_id = ${userId} and a.latency_ms is not null
      and a.created_at >= ${since} and a.created_at <= ${now}
    group by a.step`);
  const step_latency = STEP_NAMES.map((step) => {
    const s = stepResult.rows.find((r) => r.step === step);
    const c = callResult.rows.find((r) => r.step === step);
    return {
      step,
      samples: num(s?.samples),
      p50_ms: ms(s?.p50),
      p95_ms: ms(s?.p95),
      calls: num(c?.calls),
      call_p50_ms: ms(c?.p50),
      call_p95_ms: ms(c?.p95),
    };
  });

  return {
    period,
    since: since.toISOString(),
    until: now.toISOString(),
    totals,
    by_category,
    by_queue,
    by_priority,
    failures: { workflows, calls_total: callsTotal, calls },
    step_latency,
    tokens: { prompt: total("prompt_tokens"), completion: total("completion_tokens") },
    cost_usd: roundUsd(total("cost_usd")),
    ...(await workStats(db, userId, since, now)),
  };
}
