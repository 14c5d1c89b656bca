import { createHash } from "node:crypto";
import { and, eq, lt, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { leads } from "../db/schema.ts";
import { asUser } from "../db/scoped.ts";
import { DomainError } from "../errors.ts";
import type { StepQueue } from "../queue/port.ts";
import type { LeadInput } from "../schemas/lead.ts";
import { STEP_NAMES } from "../schemas/workflow.ts";
import { type IntakeRow, insertLeadWithWorkflow } from "./intake.ts";
import { getLeadIn } from "./queries.ts";
import type { LeadDetail } from "./views.ts";

export interface SubmitDeps {
  db: Database;
  queue: StepQueue;
  onEnqueueFailure?: (err: unknown, workflowId: string) => void;
}

/** How long an Idempotency-Key keeps answering with its first lead. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;

/**
 * Stores the lead, its workflow and its three steps in one statement, then asks the queue to start the first
 * step. The answer never waits on the model; if Redis is away the lead is still accepted and the reconciler
 * enqueues it later.
 */
export async function submitLead(deps: SubmitDeps, userId: string, input: LeadInput): Promise<LeadDetail> {
  return (await submitLeadIdempotently(deps, userId, input, null)).lead;
}

/**
 * As submitLead, but a repeat of the same Idempotency-Key from the same user within the window answers with the
 * first lead (`replayed`), never a second workflow; the unique index on (user, key) serialises even two requests
 * sent at the same moment. The same key with a different body is a conflict. A channel's deliveries
 * (core/channels) store through storeLeadIdempotently and startWorkflow, the two halves of this.
 */
export async function submitLeadIdempotently(
  deps: SubmitDeps,
  userId: string,
  input: LeadInput,
  idempotencyKey: string | null,
): Promise<{ lead: LeadDetail; replayed: boolean }> {
  const result = await asUser(deps.db, userId, async (tx) => {
    const { created } = await storeLeadIdempotently(tx, userId, input, idempotencyKey, null);
    return created
      ? { created }
      : { replay: await replay(tx, userId, idempotencyKey!, leadFingerprint(input)) };
  });
  if (result.replay) return { lead: result.replay, replayed: true };
  await startWorkflow(deps, result.created!);
  return { lead: acceptedLead(result.created!), replayed: false };
}

/**
 * The transactional half of submitLeadIdempotently, for a caller that writes more in the same transaction (a
 * channel delivery settles its outcome with its leads): the new lead, or `created: null` when the key was seen
 * within its window (POST /leads then answers with that first lead; a channel only counts a duplicate). Start
 * the created lead's workflow with startWorkflow once the transaction has committed.
 */
export async function storeLeadIdempotently(
  tx: Transaction,
  userId: string,
  input: LeadInput,
  idempotencyKey: string | null,
  channelId: string | null,
): Promise<{ created: IntakeRow | null }> {
  const fingerprint = idempotencyKey ? leadFingerprint(input) : null;
  const insert = () => insertLeadWithWorkflow(tx, userId, input, idempotencyKey, fingerprint, channelId);
  const created = await insert();
  if (created || !idempotencyKey) return { created };
  // The key is taken. Past its window it is free again: release it from the old lead, so the unique index lets
  // the new one through, and insert again. Only on a conflict, so a first delivery pays no extra statement.
  const released = await tx
    .update(leads)
    .set({ idempotencyKey: null })
    .where(
      and(
        eq(leads.userId, userId),
        eq(leads.idempotencyKey, idempotencyKey),
        lt(leads.createdAt, sql`now() - make_interval(hours => ${IDEMPOTENCY_WINDOW_HOURS})`),
      ),
    )
    .returning({ id: leads.id });
  return { created: released.length > 0 ? await insert() : null };
}

/**
 * Asks the queue to start a committed lead's first step; if the queue is away the lead stays accepted and the
 * reconciler enqueues it later.
 */
export async function startWorkflow(deps: SubmitDeps, created: IntakeRow): Promise<void> {
  try {
    await deps.queue.enqueue({
      workflowId: created.workflow_id,
      step: "classify",
      run: created.workflow_run,
      try: 1,
    });
  } catch (err) {
    deps.onEnqueueFailure?.(err, created.workflow_id);
  }
}

/** A lead POST /leads has just stored, as it answers it: pending, nothing decided, from no channel. */
function acceptedLead(created: IntakeRow): LeadDetail {
  return {
    id: created.id,
    name: created.name,
    contact_channel: created.contact_channel,
    contact: created.contact,
    message: created.message,
    created_at: created.created_at,
    status: "pending",
    category: null,
    queue: null,
    priority: null,
    sla_minutes: null,
    source: null,
    effective: {
      category: null,
      queue: null,
      priority: null,
      sla_minutes: null,
      due_at: null,
      corrected: false,
    },
    corrections: [],
    handling: { state: "open", first_response_at: null, updated_at: created.workflow_created_at },
    workflow: {
      id: created.workflow_id,
      status: "pending",
      error: null,
      created_at: created.workflow_created_at,
      updated_at: created.workflow_updated_at,
      finished_at: null,
      waiting: null,
      tokens: { prompt: 0, completion: 0 },
      cost_usd: 0,
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

async function replay(
  tx: Transaction,
  userId: string,
  key: string,
  fingerprint: string,
): Promise<LeadDetail> {
  const [first] = await tx
    .select({ id: leads.id, fingerprint: leads.idempotencyFingerprint })
    .from(leads)
    .where(and(eq(leads.userId, userId), eq(leads.idempotencyKey, key)));
  if (!first) throw new Error("idempotency key conflicted but its lead is not visible");
  if (first.fingerprint !== fingerprint) {
    throw new DomainError(
      "idempotency_conflict",
      "This Idempotency-Key was already used with a different request body.",
    );
  }
  return getLeadIn(tx, userId, first.id);
}

/** The request body's identity: the same lead sent again hashes the same, whatever the key order. */
function leadFingerprint(input: LeadInput): string {
  const canonical = JSON.stringify([input.name, input.contact_channel, input.contact ?? null, input.message]);
  return createHash("sha256").update(canonical).digest("hex");
}
