import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { workflows } from "../db/schema.ts";
import { asUser } from "../db/scoped.ts";
import { DomainError } from "../errors.ts";
import { getLeadIn } from "../leads/queries.ts";
import type { LeadDetail } from "../leads/views.ts";
import type { HandlingMove } from "../schemas/handling.ts";
import { recordEvents } from "../workflow/events.ts";

/**
 * Moves a lead to another handling state (any state to any other: a closed lead may be reopened). The first
 * move to `answered` sets `first_response_at`, which stops the SLA clock and is kept through later moves. A
 * move to the state the lead is already in changes nothing and records nothing.
 */
export function moveHandling(
  db: Database,
  userId: string,
  leadId: string,
  move: HandlingMove,
): Promise<LeadDetail> {
  return asUser(db, userId, async (tx) => {
    const [current] = await tx
      .select({ workflowId: workflows.id, state: workflows.handlingState })
      .from(workflows)
      .where(and(eq(workflows.leadId, leadId), eq(workflows.userId, userId)))
      .for("update");
    if (!current) throw new DomainError("not_found", "No such lead.");
    if (current.state !== move.state) {
      await tx
        .update(workflows)
        .set({
          handlingState: move.state,
          handlingUpdatedAt: sql`now()`,
          ...(move.state === "answered" ? { firstResponseAt: sql`coalesce(first_response_at, now())` } : {}),
        })
        .where(eq(workflows.id, current.workflowId));
      await recordEvents(tx, [
        {
          workflowId: current.workflowId,
          userId,
          type: "handling_changed",
          from: current.state,
          to: move.state,
          detail: move.note === undefined ? null : { note: move.note },
        },
      ]);
    }
    return getLeadIn(tx, userId, leadId);
  });
}
