/**
 * What the chaos run reads back from PostgreSQL, the source of truth: how many workflows ended, which did not,
 * and every way the run could have broken the workflow contract (a lead twice, a step twice, a failure without
 * its reason, an output its own schema now refuses, attempts that do not add up).
 */

import type { StepName } from "@leadflow/core/schemas/workflow";
import { stepDefinition } from "@leadflow/core/steps/index";
import type pg from "pg";

export interface Progress {
  leads: number;
  terminal: number;
  byStatus: Record<string, number>;
}

export async function progress(pool: pg.Pool): Promise<Progress> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    "select status, count(*)::int as n from workflows group by status",
  );
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  const leads = (await pool.query<{ n: number }>("select count(*)::int as n from leads")).rows[0]!.n;
  return { leads, terminal: (byStatus.completed ?? 0) + (byStatus.failed ?? 0), byStatus };
}

export interface Figures {
  leads: number;
  workflows: number;
  completed: number;
  failed: number;
  stuck: number;
  stuckByStep: Record<string, number>;
  /** Terminal workflows whose steps disagree (completed with a step not completed, failed with no failed step). */
  inconsistent: number;
  duplicateWorkflows: number;
  leadsWithoutWorkflow: number;
  duplicateSucceededAttempts: number;
  duplicateCompletedEvents: number;
  failedWithoutReason: number;
  invalidOutputs: number;
  invalidOutputSamples: Array<{ step: string; workflow_id: string; issues: string }>;
  attemptsMismatch: number;
  attemptNumberGaps: number;
  failedByCode: Record<string, number>;
  failedByStepAndCode: Record<string, number>;
  attemptsByOutcome: Record<string, number>;
  /** ms, PostgreSQL's clock: from the last lead's created_at to the last workflow's finished_at. */
  drainMs: number | null;
  /** ms, PostgreSQL's clock: from the first lead's created_at to the last workflow's finished_at. */
  spanMs: number | null;
}

const one = async (pool: pg.Pool, text: string): Promise<number> =>
  Number((await pool.query<{ n: number | string | null }>(text)).rows[0]?.n ?? 0);

const grouped = async (pool: pg.Pool, text: string): Promise<Record<string, number>> =>
  Object.fromEntries(
    (await pool.query<{ k: string | null; n: number }>(text)).rows.map((r) => [r.k ?? "(none)", Number(r.n)]),
  );

export async function readFigures(pool: pg.Pool): Promise<Figures> {
  const p = await progress(pool);
  const workflows = Object.values(p.byStatus).reduce((a, b) => a + b, 0);

  const outputs = await pool.query<{ workflow_id: string; name: StepName; output: unknown }>(
    "select workflow_id, name, output from workflow_steps where status = 'completed'",
  );
  let invalidOutputs = 0;
  const invalidOutputSamples: Figures["invalidOutputSamples"] = [];
  for (const row of outputs.rows) {
    const parsed = stepDefinition(row.name).output.safeParse(row.output);
    if (!parsed.success) {
      invalidOutputs++;
      if (invalidOutputSamples.length < 5) {
        invalidOutputSamples.push({
          step: row.name,
          workflow_id: row.workflow_id,
          issues: parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join(".")}: ${i.message}`)
            .join("; "),
        });
      }
    }
  }

  const times = (
    await pool.query<{ drain_ms: string | null; span_ms: string | null }>(`
      select extract(epoch from (select max(finished_at) from workflows) - (select max(created_at) from leads)) * 1000
               as drain_ms,
             extract(epoch from (select max(finished_at) from workflows) - (select min(created_at) from leads)) * 1000
               as span_ms`)
  ).rows[0]!;

  return {
    leads: p.leads,
    workflows,
    completed: p.byStatus.completed ?? 0,
    failed: p.byStatus.failed ?? 0,
    stuck: workflows - p.terminal,
    stuckByStep: await grouped(
      pool,
      `select s.name || ':' || s.status as k, count(*) as n
         from workflows w join workflow_steps s on s.workflow_id = w.id
        where w.status not in ('completed', 'failed') and s.status not in ('completed', 'skipped')
        group by 1 order by 1`,
    ),
    inconsistent: await one(
      pool,
      `select count(*) as n from workflows w
        where (w.status = 'completed' and exists (
                 select 1 from workflow_steps s where s.workflow_id = w.id and s.status <> 'completed'))
           or (w.status = 'failed' and (
                 not exists (select 1 from workflow_steps s where s.workflow_id = w.id and s.status = 'failed')
                 or exists (select 1 from workflow_steps s where s.workflow_id = w.id
                             and s.status in ('processing', 'not_started'))))`,
    ),
    duplicateWorkflows: await one(
      pool,
      "select coalesce(sum(n - 1), 0) as n from (select count(*) as n from workflows group by lead_id having count(*) > 1) d",
    ),
    leadsWithoutWorkflow: await one(
      pool,
      "select count(*) as n from leads l where not exists (select 1 from workflows w where w.lead_id = l.id)",
    ),
    duplicateSucceededAttempts: await one(
      pool,
      "select count(*) as n from (select step_id from step_attempts where outcome = 'succeeded' group by step_id having count(*) > 1) d",
    ),
    duplicateCompletedEvents: await one(
      pool,
      "select count(*) as n from (select workflow_id, step from workflow_events where type = 'step_completed' group by 1, 2 having count(*) > 1) d",
    ),
    failedWithoutReason: await one(
      pool,
      `select count(*) as n from workflows w
        where w.status = 'failed'
          and (w.error is null or w.error->>'code' is null
               or not exists (select 1 from workflow_steps s
                               where s.workflow_id = w.id and s.status = 'failed' and s.error->>'code' is not null))`,
    ),
    invalidOutputs,
    invalidOutputSamples,
    attemptsMismatch: await one(
      pool,
      `select count(*) as n from (
         select s.id from workflow_steps s left join step_attempts a on a.step_id = s.id
          group by s.id, s.attempts having s.attempts <> count(a.id)) d`,
    ),
    attemptNumberGaps: await one(
      pool,
      `select count(*) as n from (
         select step_id from step_attempts group by step_id having max(number) <> count(*) or min(number) <> 1) d`,
    ),
    failedByCode: await grouped(
      pool,
      "select error->>'code' as k, count(*) as n from workflows where status = 'failed' group by 1 order by 2 desc",
    ),
    failedByStepAndCode: await grouped(
      pool,
      `select coalesce(error->'details'->>'step', '?') || ' ' || coalesce(error->>'code', '(none)') as k, count(*) as n
         from workflows where status = 'failed' group by 1 order by 2 desc`,
    ),
    attemptsByOutcome: await grouped(
      pool,
      "select outcome as k, count(*) as n from step_attempts group by 1 order by 1",
    ),
    drainMs: times.drain_ms === null ? null : Math.round(Number(times.drain_ms)),
    spanMs: times.span_ms === null ? null : Math.round(Number(times.span_ms)),
  };
}

/** The steps and events of a few stuck workflows, and where every stuck step stands: what to look at first. */
export async function describeStuck(pool: pg.Pool, limit = 8): Promise<string> {
  const lines: string[] = [];
  const summary = await pool.query<Record<string, unknown>>(`
    select s.name, s.status, s.lease_until is not null as leased,
           case when s.lease_until is null then null when s.lease_until < now() then 'expired' else 'live' end as lease,
           case when s.retry_at is null then null when s.retry_at < now() then 'past' else 'future' end as retry,
           s.transient_failures, count(*)::int as steps,
           round(extract(epoch from now() - max(s.updated_at)))::int as newest_update_s_ago,
           round(extract(epoch from now() - min(s.updated_at)))::int as oldest_update_s_ago
      from workflows w join workflow_steps s on s.workflow_id = w.id
     where w.status not in ('completed', 'failed') and s.status not in ('completed', 'skipped')
     group by 1, 2, 3, 4, 5, 6 order by steps desc`);
  lines.push("stuck steps, grouped:");
  for (const r of summary.rows) lines.push(`  ${JSON.stringify(r)}`);
  const sample = await pool.query<{ id: string; status: string; run: number; updated_at: Date }>(
    `select id, status, run, updated_at from workflows where status not in ('completed', 'failed')
      order by updated_at limit $1`,
    [limit],
  );
  for (const w of sample.rows) {
    lines.push(`workflow ${w.id} status=${w.status} run=${w.run} updated_at=${w.updated_at.toISOString()}`);
    const steps = await pool.query<Record<string, unknown>>(
      `select name, status, attempts, transient_failures, lease_token is not null as leased, lease_until, retry_at,
              started_at, updated_at, error->>'code' as error_code,
              (select count(*)::int from step_attempts a where a.step_id = s.id) as attempt_rows
         from workflow_steps s where workflow_id = $1 order by position`,
      [w.id],
    );
    for (const s of steps.rows) lines.push(`  step ${JSON.stringify(s)}`);
    const events = await pool.query<Record<string, unknown>>(
      `select at, type, step, attempt, from_status, to_status, detail
         from workflow_events where workflow_id = $1 order by id`,
      [w.id],
    );
    for (const e of events.rows) lines.push(`  event ${JSON.stringify(e)}`);
  }
  return lines.join("\n");
}
