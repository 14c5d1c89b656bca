import type { StepName } from "../schemas/workflow.ts";

interface SummarySource {
  category?: string;
  routing_decision?: { queue: string; priority: string; sla_minutes: number };
}

/**
 * The few output values the leads list filters and sorts on, copied onto the workflow row when their step
 * completes. The step's output stays the source of truth; it has already been validated by then.
 */
export function workflowSummaryColumns(step: StepName, output: unknown) {
  const o = output as SummarySource;
  if (step === "classify" && o.category) return { category: o.category };
  if (step === "route" && o.routing_decision) {
    const d = o.routing_decision;
    return { queue: d.queue, priority: d.priority, slaMinutes: d.sla_minutes };
  }
  return {};
}
