import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { executePrepared } from "../db/prepared.ts";
import { millisecondsInterval } from "../db/sql.ts";
import type { StepJob } from "../queue/port.ts";
import type { StepLead } from "../steps/types.ts";
import type { HeldStep } from "./settle.ts";

export interface Claim extends HeldStep {
  userId: string;
  previousStatus: string;
  transientFailures: number;
  /** Times this step's claim was taken over from a worker that died or hung, this one included. */
  takeovers: number;
  /** Tokens the user's model calls reported today (UTC), when a daily budget is set; else 0. */
  userTokensToday: number;
  /** The lead, untrusted, and the outputs of the steps already completed, keyed by step name. */
  input: { lead: StepLead; previous: Record<string, unknown> };
}

/**
 * Claims the step and reads what it needs in one statement (one round trip, no explicit transaction): the
 * compare-and-set on status, run and try, the workflow's move to `processing`, the `step_started` event, and the
 * lead with the earlier steps' outputs. `null`: this delivery is a duplicate, superseded, or not due.
 */
export async function claimStep(
  db: Database,
  job: StepJob,
  leaseMs: number,
  options: { countUserTokens: boolean } = { countUserTokens: false },
): Promise<Claim | null> {
  const leaseToken = randomUUID();
  const [row] = await executePrepared<{
    id: string;
    user_id: string;
    previous_status: string;
    transient_failures: number;
    takeovers: number;
    user_tokens_today: number;
    name: string;
    contact_channel: StepLead["contact_channel"];
    contact: string | null;
    message: string;
    previous: Record<string, unknown>;
  }>(
    db,
    sql`
    with claimable as (
      select s.id, s.status as previous_status, w.lead_id,
             -- processing with a lease that ran out: the worker that held it died or hung
             (s.status = 'processing' and s.lease_until is not null) as taking_over
      from workflow_steps s join workflows w on w.id = s.workflow_id
      where s.workflow_id = ${job.workflowId} and s.name = ${job.step}
        and w.run = ${job.run} and w.status in ('pending', 'processing')
        and s.transient_failures = ${job.try - 1}
        and (s.status = 'not_started'
             or (s.status = 'processing' and s.lease_until is null)
             -- A lapsed lease is taken over only by the reconciler's own job, which waits a spread while: the
             -- queue's redelivery of a dead worker's jobs would run them all together again, and a healthy lead
             -- that shared a worker with a poison one would die with it each time.
             or (s.status = 'processing' and s.lease_until < now() and ${job.takeover !== undefined}::boolean
                 -- Suspects run one at a time: while another taken-over step runs, this one waits for the
                 -- reconciler's next spread job. A poison lead then dies alone, and the healthy leads it took
                 -- down with it never share its worker again.
                 and not exists (
                   select 1 from workflow_steps o
                    where o.status = 'processing' and o.takeovers > 0 and o.lease_until > now() and o.id <> s.id)))
      for update of s skip locked
    ),
    claimed as (
      update workflow_steps s
         set status = 'processing', lease_token = ${leaseToken},
             lease_until = now() + ${millisecondsInterval(leaseMs)},
             started_at = coalesce(s.started_at, now()), retry_at = null, updated_at = now(),
             takeovers = s.takeovers + (case when c.taking_over then 1 else 0 end)
        from claimable c
       where s.id = c.id
      returning s.id, s.user_id, s.transient_failures, s.takeovers, c.previous_status, c.lead_id
    ),
    started as (
      update workflows w set status = 'processing', updated_at = now()
        from claimed c
       where w.id = ${job.workflowId} and w.status = 'pending'
      returning w.id
    ),
    event as (
      insert into workflow_events (workflow_id, user_id, type, step, from_status, to_status)
      select ${job.workflowId}, c.user_id, 'step_started', ${job.step}, 'not_started', 'processing'
        from claimed c where c.previous_status = 'not_started'
      returning id
    )
    select c.id, c.user_id, c.previous_status, c.transient_failures, c.takeovers,
           case when ${options.countUserTokens}::boolean then (
             select coalesce(sum((a.tokens->>'total')::bigint), 0)::float8
               from step_attempts a
              where a.user_id = c.user_id
                and a.created_at >= (date_trunc('day', now() at time zone 'utc') at time zone 'utc')
           ) else 0 end as user_tokens_today,
           l.name, l.contact_channel, l.contact, l.message,
           (select coalesce(json_object_agg(p.name, p.output), '{}'::json)
              from workflow_steps p
             where p.workflow_id = ${job.workflowId} and p.status = 'completed') as previous
      from claimed c join leads l on l.id = c.lead_id`,
  );
  if (!row) return null;
  return {
    workflowId: job.workflowId,
    step: job.step,
    stepId: row.id,
    leaseToken,
    userId: row.user_id,
    previousStatus: row.previous_status,
    transientFailures: row.transient_failures,
    takeovers: row.takeovers,
    userTokensToday: Number(row.user_tokens_today),
    input: {
      lead: {
        name: row.name,
        contact_channel: row.contact_channel,
        contact: row.contact,
        message: row.message,
      },
      previous: row.previous,
    },
  };
}
