import { and, asc, desc, eq, lt, or, type SQL, sql } from "drizzle-orm";
import type { Database, Queryable } from "../db/client.ts";
import { channels, leads, stepAttempts, workflowEvents, workflowSteps, workflows } from "../db/schema.ts";
import { asUser } from "../db/scoped.ts";
import { DomainError } from "../errors.ts";
import { listCorrections } from "../handling/corrections.ts";
import { effectiveRouting, toEffectiveView } from "../handling/effective.ts";
import { PROVIDER_ERROR_CODES, redactProviderText } from "../provider-text.ts";
import type { HandlingState } from "../schemas/handling.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { joinSource, type SourceRow, sourceColumns, toSource } from "./source.ts";
import {
  type AttemptView,
  type EventView,
  iso,
  type LeadDetail,
  type LeadListItem,
  roundUsd,
  type StepView,
  type WorkflowWaiting,
} from "./views.ts";

export interface ListFilter {
  limit: number;
  cursor?: string | null;
  status?: string | null;
  category?: string | null;
  queue?: string | null;
  priority?: string | null;
}

const routing = effectiveRouting();

const listColumns = {
  id: leads.id,
  name: leads.name,
  contactChannel: leads.contactChannel,
  // The copy on the workflow row is the sort key, so the cursor is built from exactly what is ordered on.
  createdAt: workflows.leadCreatedAt,
  status: workflows.status,
  // What people work from: a correction where there is one, else the AI's decision.
  category: routing.category,
  queue: routing.queue,
  priority: routing.priority,
  slaMinutes: routing.slaMinutes,
  ...sourceColumns,
};

interface ListRow extends SourceRow {
  id: string;
  name: string;
  contactChannel: string;
  createdAt: Date;
  status: string;
  category: string | null;
  queue: string | null;
  priority: string | null;
  slaMinutes: number | null;
}

// The columns are text written only from core's enums (channel and status under CHECK constraints, category,
// queue and priority from validated step outputs), so these casts narrow nothing the database could hold.
const toListItem = (r: ListRow): LeadListItem => ({
  id: r.id,
  name: r.name,
  contact_channel: r.contactChannel as LeadListItem["contact_channel"],
  created_at: r.createdAt.toISOString(),
  status: r.status as LeadListItem["status"],
  category: r.category as LeadListItem["category"],
  queue: r.queue as LeadListItem["queue"],
  priority: r.priority as LeadListItem["priority"],
  sla_minutes: r.slaMinutes,
  source: toSource(r),
});

/** The caller's leads, newest first, driven by the workflows (user, created, id) indexes. */
export function listLeads(
  db: Database,
  userId: string,
  filter: ListFilter,
): Promise<{ items: LeadListItem[]; next_cursor: string | null }> {
  return asUser(db, userId, (tx) => listLeadsIn(tx, userId, filter));
}

async function listLeadsIn(db: Queryable, userId: string, filter: ListFilter) {
  const conditions: SQL[] = [eq(workflows.userId, userId)];
  if (filter.cursor) {
    const cursor = decodeCursor(filter.cursor);
    if (!cursor) {
      throw new DomainError("validation_failed", "The request is invalid.", [
        { path: "cursor", message: "is not a cursor this API issued" },
      ]);
    }
    conditions.push(
      or(
        lt(workflows.leadCreatedAt, cursor.createdAt),
        and(eq(workflows.leadCreatedAt, cursor.createdAt), lt(workflows.leadId, cursor.id)),
      )!,
    );
  }
  if (filter.status) conditions.push(eq(workflows.status, filter.status));
  if (filter.category) conditions.push(sql`${routing.category} = ${filter.category}`);
  if (filter.queue) conditions.push(sql`${routing.queue} = ${filter.queue}`);
  if (filter.priority) conditions.push(sql`${routing.priority} = ${filter.priority}`);
  const rows = await db
    .select(listColumns)
    .from(workflows)
    .innerJoin(leads, eq(leads.id, workflows.leadId))
    .leftJoin(channels, joinSource)
    .where(and(...conditions))
    .orderBy(desc(workflows.leadCreatedAt), desc(workflows.leadId))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page.map(toListItem),
    next_cursor:
      rows.length > filter.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

async function ownedWorkflow(db: Queryable, userId: string, leadId: string) {
  const [row] = await db
    .select({
      ...listColumns,
      contact: leads.contact,
      message: leads.message,
      workflow: workflows,
      dueAt: routing.dueAt,
      corrected: routing.corrected,
    })
    .from(leads)
    .innerJoin(workflows, eq(workflows.leadId, leads.id))
    .leftJoin(channels, joinSource)
    .where(and(eq(leads.id, leadId), eq(leads.userId, userId)));
  if (!row) throw new DomainError("not_found", "No such lead.");
  return row;
}

export function getLead(db: Database, userId: string, leadId: string): Promise<LeadDetail> {
  return asUser(db, userId, (tx) => getLeadIn(tx, userId, leadId));
}

export async function getLeadIn(db: Queryable, userId: string, leadId: string): Promise<LeadDetail> {
  const row = await ownedWorkflow(db, userId, leadId);
  const steps = await db
    .select()
    .from(workflowSteps)
    .where(and(eq(workflowSteps.workflowId, row.workflow.id), eq(workflowSteps.userId, userId)))
    .orderBy(asc(workflowSteps.position));
  const [usage] = await db
    .select({
      prompt: sql<number>`coalesce(sum((${stepAttempts.tokens}->>'prompt')::bigint), 0)::float8`,
      completion: sql<number>`coalesce(sum((${stepAttempts.tokens}->>'completion')::bigint), 0)::float8`,
      costUsd: sql<number>`coalesce(sum(${stepAttempts.costUsd}), 0)::float8`,
    })
    .from(stepAttempts)
    .where(and(eq(stepAttempts.workflowId, row.workflow.id), eq(stepAttempts.userId, userId)));
  const w = row.workflow;
  return {
    ...toListItem(row),
    contact: row.contact,
    message: row.message,
    effective: toEffectiveView(row),
    corrections: await listCorrections(db, userId, leadId),
    handling: {
      state: w.handlingState as HandlingState,
      first_response_at: iso(w.firstResponseAt),
      updated_at: w.handlingUpdatedAt.toISOString(),
    },
    workflow: {
      id: w.id,
      status: w.status as LeadDetail["workflow"]["status"],
      error: w.error ?? null,
      created_at: w.createdAt.toISOString(),
      updated_at: w.updatedAt.toISOString(),
      finished_at: iso(w.finishedAt),
      waiting:
        w.waitingReason && w.waitingUntil
          ? { reason: w.waitingReason as WorkflowWaiting["reason"], until: w.waitingUntil.toISOString() }
          : null,
      tokens: { prompt: usage?.prompt ?? 0, completion: usage?.completion ?? 0 },
      cost_usd: roundUsd(usage?.costUsd ?? 0),
      steps: steps.map((s) => ({
        name: s.name as StepView["name"],
        status: s.status as StepView["status"],
        // Written only by the runner, after the step's own output schema accepted it.
        output: (s.output ?? null) as StepView["output"],
        error: s.error ?? null,
        attempts: s.attempts,
        started_at: iso(s.startedAt),
        finished_at: iso(s.finishedAt),
      })),
    },
  };
}

export function listAttempts(db: Database, userId: string, leadId: string) {
  return asUser(db, userId, (tx) => listAttemptsIn(tx, userId, leadId));
}

async function listAttemptsIn(
  db: Queryable,
  userId: string,
  leadId: string,
): Promise<{ items: AttemptView[] }> {
  const { workflow } = await ownedWorkflow(db, userId, leadId);
  const rows = await db
    .select()
    .from(stepAttempts)
    .where(and(eq(stepAttempts.workflowId, workflow.id), eq(stepAttempts.userId, userId)))
    .orderBy(asc(stepAttempts.id));
  return {
    items: rows.map((a) => ({
      step: a.step as AttemptView["step"],
      number: a.number,
      outcome: a.outcome as AttemptView["outcome"],
      error: a.error ?? null,
      latency_ms: a.latencyMs,
      model: a.model,
      prompt_version: a.promptVersion,
      tokens: a.tokens ?? null,
      // A provider's error body is shown without its ids and keys; a model's answer exactly as it came.
      raw_response:
        a.rawResponse !== null && PROVIDER_ERROR_CODES.has(a.error?.code ?? "")
          ? redactProviderText(a.rawResponse)
          : a.rawResponse,
      validation_errors: (a.validationErrors ?? null) as AttemptView["validation_errors"],
      repaired: a.repaired,
      cost_usd: roundUsd(a.costUsd),
      created_at: a.createdAt.toISOString(),
    })),
  };
}

export function listEvents(db: Database, userId: string, leadId: string) {
  return asUser(db, userId, (tx) => listEventsIn(tx, userId, leadId));
}

async function listEventsIn(db: Queryable, userId: string, leadId: string): Promise<{ items: EventView[] }> {
  const { workflow } = await ownedWorkflow(db, userId, leadId);
  const rows = await db
    .select()
    .from(workflowEvents)
    .where(and(eq(workflowEvents.workflowId, workflow.id), eq(workflowEvents.userId, userId)))
    .orderBy(asc(workflowEvents.id));
  return {
    items: rows.map((e) => ({
      at: e.at.toISOString(),
      type: e.type,
      step: e.step as EventView["step"],
      attempt: e.attempt,
      from: e.from,
      to: e.to,
      detail: (e.detail ?? null) as EventView["detail"],
    })),
  };
}
