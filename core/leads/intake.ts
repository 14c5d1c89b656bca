import { type SQL, sql } from "drizzle-orm";
import type { Transaction } from "../db/client.ts";
import { executePrepared } from "../db/prepared.ts";
import type { LeadInput } from "../schemas/lead.ts";
import { STEP_NAMES } from "../schemas/workflow.ts";

/** The new lead and its workflow, as intake returns them; timestamps in ISO 8601 (UTC, milliseconds). */
export type IntakeRow = {
  id: string;
  name: string;
  contact_channel: LeadInput["contact_channel"];
  contact: string | null;
  message: string;
  created_at: string;
  workflow_id: string;
  workflow_run: number;
  workflow_created_at: string;
  workflow_updated_at: string;
};

// Step names are the code's own constants, not input, so they are written into the statement's text.
const STEP_ROWS = sql.raw(STEP_NAMES.map((name, position) => `('${name}', ${position})`).join(", "));
// ISO 8601 in UTC to the millisecond, cut (not rounded) from PostgreSQL's microseconds, as node-postgres cuts
// them for every other read of the same timestamp: the 202 shows the created_at a later GET shows.
const isoUtc = (column: string) =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * The whole intake of a lead as ONE statement: the lead, its workflow (`pending`), its three steps
 * (`not_started`) and the `created` event, each CTE feeding the next the ids it generated. Nothing comes back
 * when the user's Idempotency-Key is already taken (the insert does nothing on that conflict), and then nothing
 * else was written either. Runs inside the caller's transaction, which set the role and user for row-level
 * security.
 */
export function intakeStatement(
  userId: string,
  input: LeadInput,
  idempotencyKey: string | null,
  fingerprint: string | null,
  channelId: string | null = null,
): SQL {
  return sql`
    with lead as (
      insert into leads (user_id, name, contact_channel, contact, message, idempotency_key, idempotency_fingerprint,
                         channel_id)
      values (${userId}, ${input.name}, ${input.contact_channel}, ${input.contact ?? null}, ${input.message},
              ${idempotencyKey}, ${fingerprint}, ${channelId})
      on conflict (user_id, idempotency_key) do nothing
      returning id, user_id, name, contact_channel, contact, message, created_at
    ),
    workflow as (
      insert into workflows (lead_id, user_id, lead_created_at, status)
      select id, user_id, created_at, 'pending' from lead
      returning id, user_id, run, created_at, updated_at
    ),
    steps as (
      insert into workflow_steps (workflow_id, user_id, name, position)
      select w.id, w.user_id, s.name, s.position from workflow w, (values ${STEP_ROWS}) as s(name, position)
      returning id
    ),
    created_event as (
      insert into workflow_events (workflow_id, user_id, type, to_status)
      select id, user_id, 'created', 'pending' from workflow
      returning id
    )
    select l.id, l.name, l.contact_channel, l.contact, l.message, ${isoUtc("l.created_at")} as created_at,
           w.id as workflow_id, w.run as workflow_run, ${isoUtc("w.created_at")} as workflow_created_at,
           ${isoUtc("w.updated_at")} as workflow_updated_at
      from lead l, workflow w`;
}

/** Runs the intake statement; `null` when the Idempotency-Key was taken and nothing was written. */
export async function insertLeadWithWorkflow(
  tx: Transaction,
  ...args: Parameters<typeof intakeStatement>
): Promise<IntakeRow | null> {
  const [row] = await executePrepared<IntakeRow>(tx, intakeStatement(...args));
  return row ?? null;
}
