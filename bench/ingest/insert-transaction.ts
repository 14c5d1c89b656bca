import { statementName } from "@leadflow/core/db/prepared";
import { API_ROLE } from "@leadflow/core/db/scoped";
import { intakeStatement } from "@leadflow/core/leads/intake";
import type { LeadInput } from "@leadflow/core/schemas/lead";
import { PgDialect } from "drizzle-orm/pg-core";
import type pg from "pg";
import { leadBody } from "./lead-bodies.ts";

/*
 * The statements POST /leads (without an Idempotency-Key) sends in its transaction: core/db/scoped.ts (the
 * caller's role and id, for row-level security), then core/leads/intake.ts's one statement (the lead, its
 * workflow, its three steps and the `created` event). Its text is taken from core's own builder, so the raw
 * loop and pgbench send exactly what the API sends; bench/ingest/sql-drift.ts still checks that the API sends
 * this list and nothing else (a stale list would make the raw figure a false anchor).
 */
export const SET_CALLER = "select set_config('role', $1, true), set_config('app.user_id', $2, true)";

const SAMPLE_USER = "00000000-0000-4000-8000-000000000000";
const sample = new PgDialect().sqlToQuery(intakeStatement(SAMPLE_USER, leadBody(0), null, null));

export const INTAKE = sample.sql;
/** Core sends it as a named prepared statement; so does the raw loop, under the same name. */
const INTAKE_NAME = statementName(INTAKE);

/** The intake statement's parameters, in the order its text numbers them. */
export function intakeParameters(userId: string, input: LeadInput): unknown[] {
  return [userId, input.name, input.contact_channel, input.contact ?? null, input.message, null, null];
}

// Fails at start-up, not silently, if core reorders the statement's parameters.
if (JSON.stringify(sample.params) !== JSON.stringify(intakeParameters(SAMPLE_USER, leadBody(0)))) {
  throw new Error(
    `core's intake statement takes its parameters in a new order: ${JSON.stringify(sample.params)}`,
  );
}

/** The transaction in order, as the drift check compares it. */
export const TRANSACTION = ["begin", SET_CALLER, INTAKE, "commit"];

/** One lead intake, on a client the caller has checked out of the pool. */
export async function insertLeadTransaction(client: pg.PoolClient, userId: string, input: LeadInput) {
  await client.query("begin");
  try {
    await client.query(SET_CALLER, [API_ROLE, userId]);
    await client.query({ name: INTAKE_NAME, text: INTAKE, values: intakeParameters(userId, input) });
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  }
}
