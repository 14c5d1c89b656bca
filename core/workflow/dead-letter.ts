import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { workflowSteps, workflows } from "../db/schema.ts";
import type { StepJob } from "../queue/port.ts";
import type { StepError } from "../schemas/workflow.ts";
import { afterStepFailed, failedStepAssignments } from "./fail-workflow.ts";

/** Retryable: the cause was the platform, not the lead, so POST /leads/:id/retry may well succeed. */
export const DEAD_LETTER_ERROR: StepError = {
  code: "INTERNAL",
  message: "The step could not be processed after repeated deliveries.",
  retryable: true,
};

/**
 * - `failed`: the step and its workflow are now failed with the reason.
 * - `already_terminal`: the workflow had completed or failed meanwhile; nothing changed.
 * - `stale`: the message belongs to an older run or try, or its step already finished; nothing changed.
 * - `in_progress`: another delivery holds the step's lease right now; it will finish or land here itself.
 * - `not_found`: no such workflow (deleted, or a message from another environment).
 */
export type DeadLetterOutcome = "failed" | "already_terminal" | "stale" | "in_progress" | "not_found";

/**
 * For a step job whose message exhausted its deliveries and landed in a dead-letter queue: fails the step, skips
 * the steps after it and fails the workflow with a reason, so the lead never stays `processing` for ever. The
 * same guards as runStep's transitions apply (run, try, status, lease, row locks), so a late or repeated
 * dead letter, or one racing a delivery that did get through, changes nothing.
 */
export async function failDeadLetteredStep(
  db: Database,
  job: StepJob,
  error: StepError = DEAD_LETTER_ERROR,
): Promise<DeadLetterOutcome> {
  return db.transaction(async (tx) => {
    // Rows are locked step first, then workflow: the order runStep's transitions take them in.
    const [step] = await tx
      .select({
        id: workflowSteps.id,
        status: workflowSteps.status,
        position: workflowSteps.position,
        transientFailures: workflowSteps.transientFailures,
        leaseHeld: sql<boolean>`coalesce(${workflowSteps.leaseUntil} > now(), false)`,
      })
      .from(workflowSteps)
      .where(and(eq(workflowSteps.workflowId, job.workflowId), eq(workflowSteps.name, job.step)))
      .for("update");
    if (!step) return "not_found";
    const [workflow] = await tx
      .select({ userId: workflows.userId, status: workflows.status, run: workflows.run })
      .from(workflows)
      .where(eq(workflows.id, job.workflowId))
      .for("update");
    if (!workflow) return "not_found";
    if (workflow.status === "completed" || workflow.status === "failed") return "already_terminal";
    if (workflow.run !== job.run) return "stale";
    if (step.status !== "not_started" && step.status !== "processing") return "stale";
    // A later try was scheduled, so this message is not the step's live delivery.
    if (step.transientFailures !== job.try - 1) return "stale";
    if (step.status === "processing" && step.leaseHeld) return "in_progress";

    await tx.execute(sql`
      with settled as (
        update workflow_steps set ${failedStepAssignments(error)}, updated_at = now()
         where id = ${step.id}
        returning workflow_id, id, user_id, name, position, attempts
      ),
      ${afterStepFailed({
        step: job.step,
        error,
        stepFrom: step.status,
        workflowFrom: workflow.status,
        detail: { reason: "dead_letter" },
      })}
      select 1`);
    return "failed";
  });
}
