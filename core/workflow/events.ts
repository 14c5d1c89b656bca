import type { Queryable } from "../db/client.ts";
import { workflowEvents } from "../db/schema.ts";
import type { StepName } from "../schemas/workflow.ts";

export type WorkflowEventType =
  | "created"
  | "step_started"
  | "step_completed"
  | "step_failed"
  | "step_retried"
  | "workflow_completed"
  | "workflow_failed"
  | "resumed"
  // A person's work on the lead (core/handling).
  | "handling_changed"
  | "corrected";

export interface WorkflowEvent {
  workflowId: string;
  userId: string;
  type: WorkflowEventType;
  step?: StepName | null;
  attempt?: number | null;
  from?: string | null;
  to?: string | null;
  detail?: Record<string, unknown> | null;
}

export async function recordEvents(db: Queryable, events: WorkflowEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.insert(workflowEvents).values(
    events.map((e) => ({
      workflowId: e.workflowId,
      userId: e.userId,
      type: e.type,
      step: e.step ?? null,
      attempt: e.attempt ?? null,
      from: e.from ?? null,
      to: e.to ?? null,
      detail: e.detail ?? null,
    })),
  );
}
