import { type SQL, sql } from "drizzle-orm";
import type { EffectiveRouting } from "../leads/views.ts";
import type { Category } from "../schemas/classification.ts";
import { FAILED_WORKFLOW_RANK_PRIORITY, FAILED_WORKFLOW_SLA_MINUTES } from "../schemas/handling.ts";
import type { Priority, RoutingQueue } from "../schemas/routing.ts";

/**
 * The effective routing of a lead: a person's latest correction of each field where there is one, else the AI's
 * decision; a failed workflow with neither is due an hour after the lead arrived, ranked as a p1, so no lead
 * falls through. This module is the only place that combines them: the list, the lead, the inbox, /stats and
 * outbound events all select these expressions, over the `workflows` row (`table` names its alias in raw SQL).
 */
export function effectiveRouting(table = '"workflows"') {
  const c = (column: string) => sql.raw(`${table}.${column}`);
  const slaMinutes = sql<number | null>`coalesce(${c("corrected_sla_minutes")}, ${c("sla_minutes")},
    case when ${c("status")} = 'failed' then ${FAILED_WORKFLOW_SLA_MINUTES}::int end)`;
  // The columns are text; both the AI's answer and a correction are validated against these enums before storing.
  const priority = sql<Priority | null>`coalesce(${c("corrected_priority")}, ${c("priority")})`;
  const dueAt = sql<Date | null>`(${c("lead_created_at")} + make_interval(mins => ${slaMinutes}))`;
  return {
    category: sql<Category | null>`coalesce(${c("corrected_category")}, ${c("category")})`,
    queue: sql<RoutingQueue | null>`coalesce(${c("corrected_queue")}, ${c("queue")})`,
    priority,
    slaMinutes,
    dueAt,
    /** 0 for p0 first; a lead with no priority (a failed workflow) ranks as a p1. */
    priorityRank: sql<number>`(case coalesce(${priority}, ${FAILED_WORKFLOW_RANK_PRIORITY})
      when 'p0' then 0 when 'p1' then 1 else 2 end)`,
    corrected: sql<boolean>`(${c("corrections")} > 0)`,
    /**
     * The SLA clock stops at the first response: breached when it came after the due time, or has not come and
     * the due time has passed.
     */
    breached: breachedAt(dueAt, c("first_response_at"), sql`now()`),
  };
}

export const breachedAt = (dueAt: SQL, firstResponseAt: SQL, now: SQL) =>
  sql<boolean>`coalesce(${firstResponseAt} > ${dueAt} or (${firstResponseAt} is null and ${dueAt} <= ${now}), false)`;

/** The selection drizzle maps into {@link EffectiveRouting}; `dueAt` arrives as text, since raw SQL skips mapping. */
export interface EffectiveRow {
  category: Category | null;
  queue: RoutingQueue | null;
  priority: Priority | null;
  slaMinutes: number | null;
  dueAt: Date | string | null;
  corrected: boolean;
}

export const toEffectiveView = (r: EffectiveRow): EffectiveRouting => ({
  category: r.category,
  queue: r.queue,
  priority: r.priority,
  sla_minutes: r.slaMinutes,
  due_at: r.dueAt === null ? null : new Date(r.dueAt).toISOString(),
  corrected: r.corrected,
});
