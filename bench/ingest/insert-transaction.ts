import { API_ROLE } from "@leadflow/core/db/scoped";
import type { LeadInput } from "@leadflow/core/schemas/lead";
import type pg from "pg";

/*
 * The statements POST /leads (without an Idempotency-Key) sends in its transaction, byte for byte as drizzle
 * generates them: core/db/scoped.ts (the caller's role and id, for row-level security), core/leads/submit.ts
 * (the lead), core/workflow/create.ts (the workflow and its three steps, one multi-row insert) and
 * core/workflow/events.ts (the `created` event). Each is its own round trip, as in drizzle's node-postgres
 * transaction. bench/ingest/sql-drift.ts compares this list with what core sends today and fails the run
 * when they differ: a stale copy would make the raw figure a false anchor.
 */
export const SET_CALLER = "select set_config('role', $1, true), set_config('app.user_id', $2, true)";

export const INSERT_LEAD =
  'insert into "leads" ("id", "user_id", "name", "contact_channel", "contact", "message", "idempotency_key", ' +
  '"idempotency_fingerprint", "created_at") values (default, $1, $2, $3, $4, $5, $6, $7, default) ' +
  'on conflict ("user_id","idempotency_key") do nothing ' +
  'returning "id", "user_id", "name", "contact_channel", "contact", "message", "idempotency_key", ' +
  '"idempotency_fingerprint", "created_at"';

export const INSERT_WORKFLOW =
  'insert into "workflows" ("id", "lead_id", "user_id", "status", "error", "run", "category", "queue", ' +
  '"priority", "sla_minutes", "lead_created_at", "created_at", "updated_at", "finished_at") values (default, ' +
  "$1, $2, $3, default, default, default, default, default, default, $4, default, default, default) " +
  'returning "id", "run", "created_at", "updated_at"';

const stepRow = (first: number) =>
  `(default, $${first}, $${first + 1}, $${first + 2}, $${first + 3}, default, default, default, default, ` +
  "default, default, default, default, default, default, default)";

export const INSERT_STEPS =
  'insert into "workflow_steps" ("id", "workflow_id", "user_id", "name", "position", "status", "output", ' +
  '"error", "attempts", "transient_failures", "lease_token", "lease_until", "retry_at", "started_at", ' +
  `"finished_at", "updated_at") values ${[1, 5, 9].map(stepRow).join(", ")}`;

export const INSERT_EVENT =
  'insert into "workflow_events" ("id", "workflow_id", "user_id", "at", "type", "step", "attempt", ' +
  '"from_status", "to_status", "detail") values (default, $1, $2, default, $3, $4, $5, $6, $7, $8)';

export const STEPS = ["classify", "extract", "route"] as const;

/** The transaction in order, as the drift check compares it. */
export const TRANSACTION = [
  "begin",
  SET_CALLER,
  INSERT_LEAD,
  INSERT_WORKFLOW,
  INSERT_STEPS,
  INSERT_EVENT,
  "commit",
];

/** One lead intake, on a client the caller has checked out of the pool. */
export async function insertLeadTransaction(client: pg.PoolClient, userId: string, input: LeadInput) {
  await client.query("begin");
  try {
    await client.query(SET_CALLER, [API_ROLE, userId]);
    const lead = await client.query(INSERT_LEAD, [
      userId,
      input.name,
      input.contact_channel,
      input.contact ?? null,
      input.message,
      null,
      null,
    ]);
    const { id: leadId, created_at: leadCreatedAt } = lead.rows[0];
    const workflow = await client.query(INSERT_WORKFLOW, [leadId, userId, "pending", leadCreatedAt]);
    const workflowId = workflow.rows[0].id;
    await client.query(
      INSERT_STEPS,
      STEPS.flatMap((name, position) => [workflowId, userId, name, position]),
    );
    await client.query(INSERT_EVENT, [workflowId, userId, "created", null, null, null, "pending", null]);
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  }
}
