/** What one run of the pipeline measured: the result's shape, and the figures read from PostgreSQL after it. */
import type { Database } from "@leadflow/core/db/client";
import { stepJobId } from "@leadflow/core/queue/port";
import type { StepName } from "@leadflow/core/schemas/workflow";
import { sql } from "drizzle-orm";
import { percentile, round } from "../support/stats.ts";
import { POOL_SIZE, WORKER_PROCESSES } from "./settings.ts";

export interface Quantiles {
  p50: number | null;
  p99: number | null;
  max: number | null;
}
export const quantiles = (values: number[]): Quantiles => ({
  p50: round(percentile(values, 0.5), 2),
  p99: round(percentile(values, 0.99), 2),
  max: round(values.length ? Math.max(...values) : null, 2),
});

export interface PipelineResult {
  label: string;
  leads: number;
  concurrency: number;
  poolSize: number;
  latencyMs: number;
  pacedPerSecond: number | null;
  /** The time budget ran out before every workflow ended (not the same as lost work). */
  cutShort: boolean;
  /** From the first submit until every workflow ended, or until the run was cut short. */
  elapsedMs: number;
  status: { completed: number; failed: number; other: number };
  spanMs: number;
  workflowsPerSecond: number;
  submitMs: number;
  /** Enqueue (the job's timestamp in its queue) to the step's start (its claim, started_at). */
  queueWaitMs: Record<StepName, Quantiles>;
  /** The previous commit's start (created_at, or the previous step's finished_at) to the step's start. */
  handOffMs: Record<StepName, Quantiles>;
  stepServiceMs: Record<StepName, Quantiles>;
  endToEndMs: Quantiles;
  attempts: { total: number; notSucceeded: number };
  simulatorRequests: number;
  cpuCores: Record<string, number>;
  machineBusy: number | null;
  perWork: {
    cpuMsPerWorkflow: number | null;
    projectedWorkflowsPerSecond: number | null;
    projectionLimit: string;
    workerCpuMsPerStep: number | null;
    postgresCpuMsPerWorkflow: number | null;
    workerRoundTripsPerStep: number | null;
  };
  worker: Record<string, unknown>[];
}

/**
 * What this machine could do alone, from the CPU each workflow cost (robust to other load, unlike wall time):
 * one worker process is one event loop, so it tops out at 1000 / (its CPU ms per workflow) per process; the
 * machine tops out at cores x 1000 / (CPU ms per workflow of bench + worker + this database's backends + Redis).
 * An upper bound: it assumes perfect overlap and no I/O waits (fsync included).
 */
export function capacity(cpu: Record<string, number>, seconds: number, workflows: number) {
  const ms = (cores: number | undefined) => ((cores ?? 0) * seconds * 1000) / workflows;
  const total = ms(cpu.bench) + ms(cpu.worker) + ms(cpu.postgresOurs) + ms(cpu.redis);
  const machine = total > 0 ? (navigator.hardwareConcurrency * 1000) / total : Infinity;
  const worker = ms(cpu.worker) > 0 ? (WORKER_PROCESSES * 1000) / ms(cpu.worker) : Infinity;
  return {
    cpuMsPerWorkflow: round(total, 1),
    projectedWorkflowsPerSecond: round(Math.min(machine, worker), 0),
    projectionLimit: worker < machine ? "worker event loop" : "machine CPU",
  };
}

/** A run the time budget left no room for. */
export function notRun(options: {
  label: string;
  leads: number;
  concurrency: number;
  latencyMs: number;
}): PipelineResult {
  const none: Quantiles = { p50: null, p99: null, max: null };
  const perStep = { classify: none, extract: none, route: none };
  return {
    ...options,
    poolSize: POOL_SIZE,
    pacedPerSecond: null,
    cutShort: true,
    elapsedMs: 0,
    status: { completed: 0, failed: 0, other: options.leads },
    spanMs: 0,
    workflowsPerSecond: 0,
    submitMs: 0,
    queueWaitMs: perStep,
    handOffMs: perStep,
    stepServiceMs: perStep,
    endToEndMs: none,
    attempts: { total: 0, notSucceeded: 0 },
    simulatorRequests: 0,
    cpuCores: {},
    machineBusy: null,
    perWork: {
      cpuMsPerWorkflow: null,
      projectedWorkflowsPerSecond: null,
      projectionLimit: "-",
      workerCpuMsPerStep: null,
      postgresCpuMsPerWorkflow: null,
      workerRoundTripsPerStep: null,
    },
    worker: [],
  };
}

/**
 * Each workflow's figures from PostgreSQL (created_at, each step's claim and finish), with the queue wait from
 * each step's first job's enqueue time (`enqueuedAt`, by job id, as the worker's consumers reported them).
 */
export async function workflowFigures(db: Database, enqueuedAt: ReadonlyMap<string, number>) {
  const rows = (
    await db.execute<Record<string, number | string | null>>(sql`
      select w.status, w.id, w.run,
             extract(epoch from w.created_at) * 1000 as wc,
             extract(epoch from w.finished_at) * 1000 as wf,
             extract(epoch from c.started_at) * 1000 as cs, extract(epoch from c.finished_at) * 1000 as cf,
             extract(epoch from e.started_at) * 1000 as es, extract(epoch from e.finished_at) * 1000 as ef,
             extract(epoch from r.started_at) * 1000 as rs, extract(epoch from r.finished_at) * 1000 as rf
        from workflows w
        join workflow_steps c on c.workflow_id = w.id and c.name = 'classify'
        join workflow_steps e on e.workflow_id = w.id and e.name = 'extract'
        join workflow_steps r on r.workflow_id = w.id and r.name = 'route'`)
  ).rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [
        k,
        k === "status" || k === "id" ? v : v === null ? null : Number(v),
      ]),
    ),
  ) as Array<{ status: string; id: string } & Record<string, number | null>>;
  const firstEnqueue = (workflowId: string, run: number, step: StepName) =>
    enqueuedAt.get(stepJobId({ workflowId, step, run, try: 1 })) ?? null;
  for (const r of rows) {
    r.cq = firstEnqueue(r.id, r.run ?? 1, "classify");
    r.eq = firstEnqueue(r.id, r.run ?? 1, "extract");
    r.rq = firstEnqueue(r.id, r.run ?? 1, "route");
  }
  const status = { completed: 0, failed: 0, other: 0 };
  for (const r of rows) {
    if (r.status === "completed") status.completed++;
    else if (r.status === "failed") status.failed++;
    else status.other++;
  }
  const defined = (values: Array<number | null>) => values.filter((v): v is number => v !== null);
  const diffs = (a: string, b: string) =>
    defined(rows.map((r) => (r[a] != null && r[b] != null ? r[b]! - r[a]! : null)));
  const created = defined(rows.map((r) => r.wc as number | null));
  const finished = defined(rows.map((r) => r.wf as number | null));
  const spanMs = created.length && finished.length ? Math.max(...finished) - Math.min(...created) : 0;
  const attempts = (
    await db.execute<{ total: string; not_succeeded: string }>(sql`
      select count(*) as total, count(*) filter (where outcome <> 'succeeded') as not_succeeded
        from step_attempts`)
  ).rows[0]!;
  return {
    status,
    spanMs,
    queueWaitMs: {
      classify: quantiles(diffs("cq", "cs")),
      extract: quantiles(diffs("eq", "es")),
      route: quantiles(diffs("rq", "rs")),
    },
    handOffMs: {
      classify: quantiles(diffs("wc", "cs")),
      extract: quantiles(diffs("cf", "es")),
      route: quantiles(diffs("ef", "rs")),
    },
    stepServiceMs: {
      classify: quantiles(diffs("cs", "cf")),
      extract: quantiles(diffs("es", "ef")),
      route: quantiles(diffs("rs", "rf")),
    },
    endToEndMs: quantiles(diffs("wc", "wf")),
    attempts: { total: Number(attempts.total), notSucceeded: Number(attempts.not_succeeded) },
    stepsFinished: rows.reduce(
      (n, r) => n + (r.cf != null ? 1 : 0) + (r.ef != null ? 1 : 0) + (r.rf != null ? 1 : 0),
      0,
    ),
  };
}
