import { and, eq, sql } from "drizzle-orm";
import type { Transaction } from "../db/client.ts";
import { workflowSteps, workflows } from "../db/schema.ts";
import type { StepError, StepName } from "../schemas/workflow.ts";
import { recordEvents } from "./events.ts";

/**
 * What follows a step failing for good, once its own row says `failed`: the steps after it are skipped, the
 * workflow fails with the step's error, and both transitions go into the history. Callers guard the step first.
 */
export async function failWorkflowAfterStep(
  tx: Transaction,
  failed: {
    workflowId: string;
    userId: string;
    step: StepName;
    position: number;
    attempts: number;
    stepFrom: string;
    workflowFrom: string;
    error: StepError;
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  await tx
    .update(workflowSteps)
    .set({ status: "skipped", updatedAt: sql`now()` })
    .where(
      and(
        eq(workflowSteps.workflowId, failed.workflowId),
        eq(workflowSteps.status, "not_started"),
        sql`${workflowSteps.position} > ${failed.position}`,
      ),
    );
  await tx
    .update(workflows)
    .set({
      status: "failed",
      error: { ...failed.error, details: { step: failed.step } },
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(eq(workflows.id, failed.workflowId));
  const detail = { code: failed.error.code, ...failed.detail };
  const common = {
    workflowId: failed.workflowId,
    userId: failed.userId,
    step: failed.step,
    to: "failed",
    detail,
  };
  await recordEvents(tx, [
    { ...common, type: "step_failed", attempt: failed.attempts, from: failed.stepFrom },
    { ...common, type: "workflow_failed", from: failed.workflowFrom },
  ]);
}
