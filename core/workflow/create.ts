import type { Transaction } from "../db/client.ts";
import { workflowSteps, workflows } from "../db/schema.ts";
import { STEP_NAMES } from "../schemas/workflow.ts";
import { recordEvents } from "./events.ts";

/** A new workflow for a lead: `pending`, with every step `not_started`. Runs inside the lead's transaction. */
export async function createWorkflow(
  tx: Transaction,
  lead: { id: string; userId: string; createdAt: Date },
): Promise<{ id: string; run: number; createdAt: Date; updatedAt: Date }> {
  const [workflow] = await tx
    .insert(workflows)
    .values({ leadId: lead.id, userId: lead.userId, leadCreatedAt: lead.createdAt, status: "pending" })
    .returning({
      id: workflows.id,
      run: workflows.run,
      createdAt: workflows.createdAt,
      updatedAt: workflows.updatedAt,
    });
  await tx
    .insert(workflowSteps)
    .values(
      STEP_NAMES.map((name, position) => ({ workflowId: workflow!.id, userId: lead.userId, name, position })),
    );
  await recordEvents(tx, [{ workflowId: workflow!.id, userId: lead.userId, type: "created", to: "pending" }]);
  return workflow!;
}
