import { sql } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import type { WorkStats } from "../leads/views.ts";
import { breachedAt, effectiveRouting } from "./effective.ts";

const rate = (part: unknown, whole: unknown) => (Number(whole) ? Number(part) / Number(whole) : 0);
const minutes = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10);

/**
 * How the caller's people work their leads over a period, from the effective routing: how fast they first
 * answer, how often a due time passes unanswered, how often they overrule the AI (by the category it chose: the
 * signal that a prompt needs work), and what waits now.
 */
export async function workStats(db: Queryable, userId: string, since: Date, now: Date): Promise<WorkStats> {
  const e = effectiveRouting("w");
  const breached = breachedAt(e.dueAt, sql.raw("w.first_response_at"), sql`${now}::timestamptz`);
  const inPeriod = sql`w.user_id = ${userId} and w.lead_created_at >= ${since} and w.lead_created_at <= ${now}`;
  // A routed lead: one with a known queue, whose due time has passed, so it is judged.
  const judged = sql`${inPeriod} and ${e.queue} is not null and ${e.dueAt} <= ${now}`;

  const response = await db.execute(sql`
    select
      percentile_cont(0.5) within group (order by extract(epoch from w.first_response_at - w.lead_created_at) / 60) as p50,
      percentile_cont(0.9) within group (order by extract(epoch from w.first_response_at - w.lead_created_at) / 60) as p90,
      count(*)::int as answered
    from workflows w
    where w.user_id = ${userId} and w.first_response_at >= ${since} and w.first_response_at <= ${now}`);
  const breach = (key: "queue" | "priority") =>
    db.execute(sql`
      select ${e[key]} as key, count(*)::int as due, count(*) filter (where ${breached})::int as breached
      from workflows w where ${judged} group by 1 order by 1`);
  const [byQueue, byPriority] = [await breach("queue"), await breach("priority")];
  const corrections = await db.execute(sql`
    select w.category as category, count(*)::int as leads, count(*) filter (where w.corrections > 0)::int as corrected
    from workflows w where ${inPeriod} and w.category is not null group by 1 order by 1`);
  const waiting = await db.execute(sql`
    select ${e.queue} as key, count(*)::int as count, count(*) filter (where ${breached})::int as overdue
    from workflows w
    where w.user_id = ${userId} and w.handling_state = 'open' and ${e.dueAt} is not null
    group by 1 order by 2 desc, 1 asc nulls last`);

  const row = response.rows[0] ?? {};
  const total = (rows: Record<string, unknown>[], column: string) =>
    rows.reduce((sum, r) => sum + Number(r[column] ?? 0), 0);
  const breachRates = (rows: Record<string, unknown>[]) =>
    rows.map((r) => ({ key: r.key as string, due: Number(r.due), rate: rate(r.breached, r.due) }));
  return {
    first_response_minutes: {
      p50: minutes(row.p50),
      p90: minutes(row.p90),
      answered: Number(row.answered ?? 0),
    },
    sla_breach_rate: rate(total(byQueue.rows, "breached"), total(byQueue.rows, "due")),
    sla_breach_by_queue: breachRates(byQueue.rows),
    sla_breach_by_priority: breachRates(byPriority.rows.filter((r) => r.key !== null)),
    correction_rate_by_category: Object.fromEntries(
      corrections.rows.map((r) => [String(r.category), rate(r.corrected, r.leads)]),
    ),
    waiting_by_queue: waiting.rows.map((r) => ({
      key: (r.key as string | null) ?? null,
      count: Number(r.count),
      overdue: Number(r.overdue),
    })),
  };
}
