import { and, asc, eq, sql } from "drizzle-orm";
import type { Database, Queryable } from "../db/client.ts";
import { leadCorrections, workflows } from "../db/schema.ts";
import { asUser } from "../db/scoped.ts";
import { DomainError } from "../errors.ts";
import type { CorrectionChanges, CorrectionView } from "../leads/views.ts";
import { CORRECTABLE_FIELDS, type CorrectableField, type CorrectionInput } from "../schemas/handling.ts";
import type { Priority } from "../schemas/routing.ts";
import { SLA_BOUNDS } from "../steps/routing-rules.ts";
import { recordEvents } from "../workflow/events.ts";
import { effectiveRouting } from "./effective.ts";

const OVERRIDE_COLUMN = {
  category: "correctedCategory",
  queue: "correctedQueue",
  priority: "correctedPriority",
  sla_minutes: "correctedSlaMinutes",
} as const satisfies Record<CorrectableField, keyof typeof workflows.$inferInsert>;

const toView = (row: typeof leadCorrections.$inferSelect): CorrectionView => ({
  id: row.id,
  changes: row.changes,
  reason: row.reason,
  created_at: row.createdAt.toISOString(),
});

/**
 * Records a person's correction of a lead's routing (a failed workflow's too: that is how one is routed by hand).
 * Only fields whose value differs from the effective one are kept, each with the value it replaces; a correction
 * that changes nothing is refused. It is judged as a whole: the resulting SLA must fit the resulting priority's
 * window, the same bounds the AI's answer is clamped to.
 */
export function correctLead(
  db: Database,
  userId: string,
  leadId: string,
  input: CorrectionInput,
): Promise<CorrectionView> {
  return asUser(db, userId, async (tx) => {
    const routing = effectiveRouting();
    const [current] = await tx
      .select({
        workflowId: workflows.id,
        category: routing.category,
        queue: routing.queue,
        priority: routing.priority,
        sla_minutes: routing.slaMinutes,
      })
      .from(workflows)
      .where(and(eq(workflows.leadId, leadId), eq(workflows.userId, userId)))
      .for("update");
    if (!current) throw new DomainError("not_found", "No such lead.");

    const changes: CorrectionChanges = {};
    for (const field of CORRECTABLE_FIELDS) {
      const to = input[field];
      if (to !== undefined && to !== current[field]) changes[field] = { from: current[field], to };
    }
    if (Object.keys(changes).length === 0) {
      throw new DomainError("validation_failed", "The correction changes nothing.", [
        { path: "(body)", message: "every field sent already has that value" },
      ]);
    }
    const priority = (input.priority ?? current.priority) as Priority | null;
    const slaMinutes = input.sla_minutes ?? current.sla_minutes;
    if (priority && slaMinutes !== null && !withinWindow(priority, slaMinutes)) {
      const { min, max } = SLA_BOUNDS[priority];
      throw new DomainError("validation_failed", "The correction is invalid.", [
        {
          path: "sla_minutes",
          message: `${slaMinutes} is outside ${priority}'s window of ${min}-${max} minutes`,
        },
      ]);
    }

    const [row] = await tx
      .insert(leadCorrections)
      .values({ leadId, userId, changes, reason: input.reason })
      .returning();
    const overrides = Object.fromEntries(
      Object.entries(changes).map(([field, change]) => [
        OVERRIDE_COLUMN[field as CorrectableField],
        change.to,
      ]),
    );
    await tx
      .update(workflows)
      .set({ ...overrides, corrections: sql`${workflows.corrections} + 1` })
      .where(eq(workflows.id, current.workflowId));
    await recordEvents(tx, [
      {
        workflowId: current.workflowId,
        userId,
        type: "corrected",
        detail: { correction_id: row!.id, changes, reason: input.reason },
      },
    ]);
    return toView(row!);
  });
}

const withinWindow = (priority: Priority, minutes: number) =>
  minutes >= SLA_BOUNDS[priority].min && minutes <= SLA_BOUNDS[priority].max;

/** A lead's corrections, oldest first. */
export async function listCorrections(db: Queryable, userId: string, leadId: string) {
  const rows = await db
    .select()
    .from(leadCorrections)
    .where(and(eq(leadCorrections.leadId, leadId), eq(leadCorrections.userId, userId)))
    .orderBy(asc(leadCorrections.createdAt), asc(leadCorrections.id));
  return rows.map(toView);
}
