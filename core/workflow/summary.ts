import { type SQL, sql } from "drizzle-orm";
import type { StepName } from "../schemas/workflow.ts";

interface SummarySource {
  category?: string;
  routing_decision?: { queue: string; priority: string; sla_minutes: number };
}

/**
 * The few output values the leads list filters and sorts on, copied onto the workflow row (as `set` assignments)
 * when their step completes. The step's output stays the source of truth; it has already been validated by then.
 */
export function workflowSummaryAssignments(step: StepName, output: unknown): SQL[] {
  const o = output as SummarySource;
  if (step === "classify" && o.category) return [sql`category = ${o.category}`];
  if (step === "route" && o.routing_decision) {
    const d = o.routing_decision;
    return [sql`queue = ${d.queue}`, sql`priority = ${d.priority}`, sql`sla_minutes = ${d.sla_minutes}`];
  }
  return [];
}
