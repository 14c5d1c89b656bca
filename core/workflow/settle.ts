import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { executePrepared } from "../db/prepared.ts";
import { jsonb, millisecondsInterval } from "../db/sql.ts";
import type { CallRecord } from "../llm/types.ts";
import type { StepError, StepName, WaitingReason } from "../schemas/workflow.ts";
import { afterStepFailed, failedStepAssignments } from "./fail-workflow.ts";
import { workflowSummaryAssignments } from "./summary.ts";

/** A step this delivery claimed: every write is conditional on still holding it. */
export interface HeldStep {
  workflowId: string;
  step: StepName;
  stepId: string;
  leaseToken: string;
}

/** One model call, as the attempt log keeps it. */
export interface AttemptRecord {
  call: CallRecord;
  promptVersion: string;
  outcome: "succeeded" | "invalid" | "error" | "failed";
  error: StepError | null;
  validationErrors: string[] | null;
  repaired: string | null;
  /** What the call cost at the configured prices (0 when the answer reported no usage). */
  costUsd: number;
}

/** The step row after the write; `null` from a settle function means the lease was lost and nothing changed. */
export interface Settled {
  attempts: number;
  transientFailures: number;
  waits: number;
}

/** Why a step is held back, and until when: `workflow.waiting` in the API. */
export interface Waiting {
  reason: WaitingReason;
  untilMs: number;
}

/**
 * The heart of every write after the claim: ONE statement (one round trip, atomic without BEGIN/COMMIT) that
 * counts the model call on the step we hold while applying `assignments` to it, stores the attempt, and runs the
 * `consequences` CTEs over the updated row (named `settled`). Data-modifying CTEs all run, and all see the same
 * snapshot, so a worker dying mid-way never leaves a "succeeded" attempt whose output was not kept, and a lost
 * lease (no row matched) writes nothing at all.
 */
async function settle(
  db: Database,
  held: HeldStep,
  attempt: AttemptRecord | null,
  assignments: SQL,
  consequences: SQL[],
): Promise<Settled | null> {
  const attemptInsert = attempt
    ? sql`,
    attempt as (
      insert into step_attempts (workflow_id, step_id, user_id, step, number, outcome, error, latency_ms, model,
                                 prompt_version, tokens, raw_response, validation_errors, repaired, cost_usd)
      select s.workflow_id, s.id, s.user_id, s.name, s.attempts, ${attempt.outcome}, ${jsonb(attempt.error)},
             ${Math.round(attempt.call.latencyMs)}::int, ${attempt.call.model}, ${attempt.promptVersion},
             ${jsonb(attempt.call.tokens)}, ${attempt.call.rawResponse}, ${jsonb(attempt.validationErrors)},
             ${attempt.repaired}, ${attempt.costUsd}::float8
        from settled s
      returning id
    )`
    : sql``;
  const rest = consequences.length ? sql`, ${sql.join(consequences, sql`, `)}` : sql``;
  const [row] = await executePrepared<{ attempts: number; transient_failures: number; waits: number }>(
    db,
    sql`
    with settled as (
      update workflow_steps
         set attempts = attempts + ${attempt ? 1 : 0}::int, ${assignments}, updated_at = now()
       where id = ${held.stepId} and lease_token = ${held.leaseToken} and status = 'processing'
      returning workflow_id, id, user_id, name, position, attempts, transient_failures, waits
    )${attemptInsert}${rest}
    select attempts, transient_failures, waits from settled`,
  );
  return row ? { attempts: row.attempts, transientFailures: row.transient_failures, waits: row.waits } : null;
}

const releaseLease = sql`lease_token = null, lease_until = null`;

/** A model call was made, so the workflow waits no longer (for settles that do not update the workflow else). */
const noLongerWaiting = sql`no_longer_waiting as (
  update workflows w set waiting_reason = null, waiting_until = null
    from settled s where w.id = s.workflow_id and w.waiting_reason is not null
  returning w.id
)`;

/** The step completed with `output`; the workflow takes its summary columns, and completes after the last step. */
export function completeStep(
  db: Database,
  held: HeldStep,
  output: unknown,
  attempt: AttemptRecord,
  isLast: boolean,
): Promise<Settled | null> {
  const workflowAssignments = [
    ...workflowSummaryAssignments(held.step, output),
    ...(isLast ? [sql`status = 'completed', error = null, finished_at = now()`] : []),
    sql`waiting_reason = null, waiting_until = null, updated_at = now()`,
  ];
  return settle(
    db,
    held,
    attempt,
    sql`status = 'completed', output = ${jsonb(output)}, error = null, finished_at = now(), retry_at = null,
        ${releaseLease}`,
    [
      sql`workflow as (
        update workflows w set ${sql.join(workflowAssignments, sql`, `)}
          from settled s where w.id = s.workflow_id
        returning w.id
      )`,
      sql`completion_events as (
        insert into workflow_events (workflow_id, user_id, type, step, attempt, from_status, to_status)
        select s.workflow_id, s.user_id, 'step_completed', s.name, s.attempts, 'processing', 'completed'
          from settled s
        union all
        select s.workflow_id, s.user_id, 'workflow_completed', null, null, 'processing', 'completed'
          from settled s where ${isLast}::boolean
        returning id
      )`,
    ],
  );
}

/** The answer was invalid and will be re-asked within this delivery: the claim is renewed for the next call. */
export function recordReask(
  db: Database,
  held: HeldStep,
  attempt: AttemptRecord & { error: StepError },
  leaseMs: number,
): Promise<Settled | null> {
  return settle(db, held, attempt, sql`lease_until = now() + ${millisecondsInterval(leaseMs)}`, [
    retriedEvent({ kind: "reask", code: attempt.error.code }),
    noLongerWaiting,
  ]);
}

/** A transient failure: the step waits `delayMs` for its next delivery, which the caller enqueues after this. */
export function scheduleRetry(
  db: Database,
  held: HeldStep,
  error: StepError,
  delayMs: number,
  attempt: AttemptRecord,
): Promise<Settled | null> {
  return settle(
    db,
    held,
    attempt,
    sql`transient_failures = transient_failures + 1, error = ${jsonb(error)},
        retry_at = now() + ${millisecondsInterval(delayMs)}, ${releaseLease}`,
    [retriedEvent({ kind: "backoff", code: error.code, delay_ms: delayMs }), noLongerWaiting],
  );
}

/**
 * Flow control or the user's budget holds the step back: the claim is let go with no model call counted and no
 * attempt spent, the step is due again at `waiting.untilMs` (the caller enqueues that delivery after this), and
 * the workflow says why it waits. The history records the wait once per reason, not at every wake-up.
 */
export function deferStep(db: Database, held: HeldStep, waiting: Waiting): Promise<Settled | null> {
  const until = sql`to_timestamp(${waiting.untilMs}::float8 / 1000)`;
  return settle(db, held, null, sql`waits = waits + 1, retry_at = ${until}, ${releaseLease}`, [
    sql`previous_wait as (
      select w.waiting_reason from workflows w join settled s on w.id = s.workflow_id
    )`,
    sql`waiting as (
      update workflows w set waiting_reason = ${waiting.reason}, waiting_until = ${until}, updated_at = now()
        from settled s where w.id = s.workflow_id
      returning w.id
    )`,
    sql`waiting_event as (
      insert into workflow_events (workflow_id, user_id, type, step, detail)
      select s.workflow_id, s.user_id, 'step_waiting', s.name,
             jsonb_build_object('reason', ${waiting.reason}::text, 'until', ${new Date(waiting.untilMs).toISOString()}::text)
        from settled s
       where not exists (select 1 from previous_wait p where p.waiting_reason = ${waiting.reason})
      returning id
    )`,
  ]);
}

/** The step failed for good: it, the steps after it and the workflow, in the same statement. */
export function failStep(
  db: Database,
  held: HeldStep,
  error: StepError,
  attempt: AttemptRecord | null,
): Promise<Settled | null> {
  return settle(db, held, attempt, failedStepAssignments(error), [
    afterStepFailed({ step: held.step, error, stepFrom: "processing", workflowFrom: "processing" }),
  ]);
}

function retriedEvent(detail: Record<string, unknown>): SQL {
  return sql`retry_event as (
    insert into workflow_events (workflow_id, user_id, type, step, attempt, detail)
    select s.workflow_id, s.user_id, 'step_retried', s.name, s.attempts, ${jsonb(detail)} from settled s
    returning id
  )`;
}
