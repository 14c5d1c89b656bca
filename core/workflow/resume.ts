import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { workflowSteps, workflows } from "../db/schema.ts";
import { asUser } from "../db/scoped.ts";
import { DomainError } from "../errors.ts";
import type { StepQueue } from "../queue/port.ts";
import type { StepName } from "../schemas/workflow.ts";
import { recordEvents } from "./events.ts";

/**
 * Resumes a failed workflow from its failed step: that step and the skipped ones after it start over under a
 * new run number (so their queue job ids are new), while completed steps keep their outputs.
 */
export async function resumeWorkflow(
  deps: { db: Database; queue: StepQueue; maxRuns: number },
  userId: string,
  leadId: string,
): Promise<{ workflowId: string; step: StepName; run: number }> {
  const resumed = await asUser(deps.db, userId, async (tx) => {
    const [workflow] = await tx
      .select({ id: workflows.id, status: workflows.status, run: workflows.run })
      .from(workflows)
      .where(and(eq(workflows.leadId, leadId), eq(workflows.userId, userId)))
      .for("update");
    if (!workflow) throw new DomainError("not_found", "No such lead.");
    if (workflow.status !== "failed") {
      throw new DomainError(
        "not_failed",
        `Only a failed workflow can be retried; this one is ${workflow.status}.`,
      );
    }
    // Each run may spend its full share of model calls, so the runs themselves are bounded too.
    if (workflow.run >= deps.maxRuns) {
      throw new DomainError(
        "retry_limit",
        `This workflow has already run ${workflow.run} times, the most allowed (WORKFLOW_MAX_RUNS).`,
      );
    }
    const [failed] = await tx
      .select({ name: workflowSteps.name, position: workflowSteps.position })
      .from(workflowSteps)
      .where(and(eq(workflowSteps.workflowId, workflow.id), eq(workflowSteps.status, "failed")))
      .orderBy(workflowSteps.position)
      .limit(1);
    if (!failed) throw new Error(`failed workflow ${workflow.id} has no failed step`);
    const run = workflow.run + 1;
    await tx
      .update(workflowSteps)
      .set({
        status: "not_started",
        error: null,
        transientFailures: 0,
        takeovers: 0,
        leaseToken: null,
        leaseUntil: null,
        retryAt: null,
        startedAt: null,
        finishedAt: null,
        updatedAt: sql`now()`,
      })
      .where(
        and(eq(workflowSteps.workflowId, workflow.id), inArray(workflowSteps.status, ["failed", "skipped"])),
      );
    await tx
      .update(workflows)
      .set({
        status: "processing",
        error: null,
        run,
        finishedAt: null,
        waitingReason: null,
        waitingUntil: null,
        updatedAt: sql`now()`,
      })
      .where(eq(workflows.id, workflow.id));
    await recordEvents(tx, [
      {
        workflowId: workflow.id,
        userId,
        type: "resumed",
        step: failed.name as StepName,
        from: "failed",
        to: "processing",
        detail: { run },
      },
    ]);
    return { workflowId: workflow.id, step: failed.name as StepName, run };
  });
  await deps.queue
    .enqueue({ workflowId: resumed.workflowId, step: resumed.step, run: resumed.run, try: 1 })
    .catch(() => {
      // Committed: the reconciler enqueues it once Redis answers again.
    });
  return resumed;
}
