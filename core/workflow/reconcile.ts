import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { millisecondsInterval } from "../db/sql.ts";
import type { StepJob, StepQueue } from "../queue/port.ts";
import type { StepName } from "../schemas/workflow.ts";

export interface ReconcileResult {
  /** Steps found without a live delivery and handed to the queue again. */
  requeued: number;
  reasons: Record<LostWorkReason, number>;
}

type LostWorkReason = "never_enqueued" | "claim_expired" | "retry_lost";

/** The first takeover of a step comes within this long, each later one within twice the last (up to the cap). */
const TAKEOVER_SPREAD_MS = 2_000;
const TAKEOVER_SPREAD_CAP_MS = 30_000;

// One reconciler at a time across every worker process; the others skip the round.
const RECONCILE_LOCK = 0x1eadf10;

/**
 * PostgreSQL is the source of truth and the queue may have lost anything (Redis restarted empty, an enqueue failed
 * after commit, a worker died mid-step). This finds every step that should be moving but has no live claim and
 * enqueues it again under its deterministic job id; the step's own claim guard makes any duplicate harmless.
 * `graceMs` leaves the normal path time to act before a step counts as lost.
 */
export async function reconcile(
  deps: { db: Database; queue: StepQueue },
  options: { graceMs: number; batch?: number; random?: () => number },
): Promise<ReconcileResult> {
  const random = options.random ?? Math.random;
  const result: ReconcileResult = {
    requeued: 0,
    reasons: { never_enqueued: 0, claim_expired: 0, retry_lost: 0 },
  };
  const grace = millisecondsInterval(options.graceMs);
  const lost = await deps.db.transaction(async (tx) => {
    const lock = await tx.execute<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(${RECONCILE_LOCK}) as locked`,
    );
    if (!lock.rows[0]?.locked) return [];
    const found = await tx.execute<{
      workflow_id: string;
      run: number;
      name: StepName;
      transient_failures: number;
      takeovers: number;
      lease_token: string | null;
      reason: LostWorkReason;
    }>(sql`
      select w.id as workflow_id, w.run, s.name, s.transient_failures, s.takeovers, s.lease_token,
             case when s.status = 'not_started' then 'never_enqueued'
                  when s.lease_until is not null then 'claim_expired'
                  else 'retry_lost' end as reason
        from workflow_steps s
        join workflows w on w.id = s.workflow_id
       where w.status in ('pending', 'processing')
         and greatest(s.updated_at, w.updated_at) < now() - ${grace}
         and (
           (s.status = 'not_started' and (s.position = 0 or exists (
              select 1 from workflow_steps p
               where p.workflow_id = s.workflow_id and p.position = s.position - 1 and p.status = 'completed')))
           or (s.status = 'processing' and s.lease_until is not null and s.lease_until < now())
           or (s.status = 'processing' and s.lease_until is null
               and coalesce(s.retry_at, s.updated_at) < now() - ${grace})
         )
       order by s.updated_at
       limit ${options.batch ?? 1000}`);
    return found.rows;
  });
  for (const row of lost) {
    const job: StepJob = {
      workflowId: row.workflow_id,
      step: row.name,
      run: row.run,
      try: row.transient_failures + 1,
    };
    // The dead worker's job may still look active in the queue: a takeover gets an id of its own.
    if (row.reason === "claim_expired" && row.lease_token) job.takeover = `x${row.lease_token.slice(0, 8)}`;
    // Steps lost together were running together, and one of them may be what kills its worker: handed out again
    // all at once they would die together again. Each takeover waits a random, growing while, so a poison lead
    // runs apart from the leads it took down and only it reaches STEP_MAX_TAKEOVERS.
    const delayMs =
      row.reason === "claim_expired"
        ? Math.round(random() * Math.min(TAKEOVER_SPREAD_CAP_MS, TAKEOVER_SPREAD_MS * 2 ** row.takeovers))
        : undefined;
    await deps.queue.enqueue(job, { replaceFinished: true, delayMs });
    result.requeued++;
    result.reasons[row.reason]++;
  }
  return result;
}
