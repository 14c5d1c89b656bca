import type { Database } from "../db/client.ts";
import { leads } from "../db/schema.ts";
import { asUser } from "../db/scoped.ts";
import type { StepQueue } from "../queue/port.ts";
import type { LeadInput } from "../schemas/lead.ts";
import { STEP_NAMES } from "../schemas/workflow.ts";
import { createWorkflow } from "../workflow/create.ts";
import type { LeadDetail } from "./views.ts";

export interface SubmitDeps {
  db: Database;
  queue: StepQueue;
  onEnqueueFailure?: (err: unknown, workflowId: string) => void;
}

/**
 * Stores the lead, its workflow and its three steps in one transaction, then asks the queue to start the first
 * step. The answer never waits on the model; if Redis is away the lead is still accepted and the reconciler
 * enqueues it later.
 */
export async function submitLead(deps: SubmitDeps, userId: string, input: LeadInput): Promise<LeadDetail> {
  const { lead, workflow } = await asUser(deps.db, userId, async (tx) => {
    const [lead] = await tx
      .insert(leads)
      .values({
        userId,
        name: input.name,
        contactChannel: input.contact_channel,
        contact: input.contact ?? null,
        message: input.message,
      })
      .returning();
    const workflow = await createWorkflow(tx, { id: lead!.id, userId, createdAt: lead!.createdAt });
    return { lead: lead!, workflow };
  });
  try {
    await deps.queue.enqueue({ workflowId: workflow.id, step: "classify", run: workflow.run, try: 1 });
  } catch (err) {
    deps.onEnqueueFailure?.(err, workflow.id);
  }
  return {
    id: lead.id,
    name: lead.name,
    contact_channel: lead.contactChannel,
    contact: lead.contact,
    message: lead.message,
    created_at: lead.createdAt.toISOString(),
    status: "pending",
    category: null,
    queue: null,
    priority: null,
    sla_minutes: null,
    workflow: {
      id: workflow.id,
      status: "pending",
      error: null,
      created_at: workflow.createdAt.toISOString(),
      updated_at: workflow.updatedAt.toISOString(),
      finished_at: null,
      steps: STEP_NAMES.map((name) => ({
        name,
        status: "not_started",
        output: null,
        error: null,
        attempts: 0,
        started_at: null,
        finished_at: null,
      })),
    },
  };
}
