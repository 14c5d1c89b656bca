/** One run of the pipeline under load: the worker processes, the load, the wait for the end, the figures. */
import { sql } from "drizzle-orm";
import { BenchChild } from "../support/child.ts";
import { cpuCores, cpuSnapshot, machineTicks } from "../support/cpu.ts";
import { round, sleep } from "../support/stats.ts";
import { capacity, notRun, type PipelineResult, workflowFigures } from "./figures.ts";
import { submitLeads } from "./load.ts";
import {
  DATABASE_NAME,
  DEADLINE_AT,
  POOL_SIZE,
  REDIS_PREFIX,
  REDIS_URL,
  STALL_MS,
  WORKER_CHILD,
  WORKER_CPU_PROF,
  WORKER_DATABASE_URL,
  WORKER_PROCESSES,
} from "./settings.ts";
import type { PipelineBench } from "./setup.ts";

export interface RunOptions {
  label: string;
  leads: number;
  concurrency: number;
  latencyMs: number;
  pacedPerSecond?: number;
}

/** How far the run in progress has come, for the report the deadline prints. */
export type RunProgress = { label: string; leads: number; ended: number; elapsedMs: number };

/**
 * One run: worker child process(es) on fresh tables and queues, `leads` submitted in a burst or paced, then
 * waiting until every workflow ended (or the run stalls, or the deadline cuts it short).
 */
export async function runPipeline(
  bench: PipelineBench,
  options: RunOptions,
  onProgress: (progress: RunProgress) => void,
): Promise<PipelineResult> {
  if (Date.now() > DEADLINE_AT) return notRun(options);
  const { db, simulator, stepQueue, userId } = bench;
  await bench.reset();
  simulator.configure({ latencyMs: options.latencyMs });
  const requestsBefore = simulator.stats().requests;
  const workers = Array.from(
    { length: WORKER_PROCESSES },
    (_, n) =>
      new BenchChild(
        `worker ${n + 1} (c=${options.concurrency})`,
        WORKER_CHILD,
        {
          DATABASE_URL: WORKER_DATABASE_URL,
          REDIS_URL,
          REDIS_PREFIX,
          LLM_PROVIDER: "simulator",
          OPENAI_BASE_URL: simulator.url,
          WORKER_CONCURRENCY: String(options.concurrency),
          DATABASE_POOL_SIZE: String(POOL_SIZE),
          WORKER_METRICS_PORT: "0",
          LOG_LEVEL: "warn",
        },
        WORKER_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${WORKER_CPU_PROF}`] : [],
      ),
  );
  const pids = () => ({
    bench: process.pid,
    ...Object.fromEntries(workers.map((w, n) => [`worker${n}`, w.pid])),
  });
  try {
    await Promise.all(workers.map((w) => w.waitFor("ready", 30_000)));
    const cpuBefore = cpuSnapshot(pids(), DATABASE_NAME);
    const ticksBefore = machineTicks();

    const submitStarted = performance.now();
    const submission = submitLeads({ db, queue: stepQueue, userId }, options, submitStarted);
    // Wait for every workflow to end; fail on a stall (no step finishing for STALL_MS) or the run's deadline.
    let lastProgress = -1;
    let lastProgressAt = performance.now();
    let submitted = false;
    let cutShort = false;
    void submission.then(() => (submitted = true)).catch(() => {});
    for (;;) {
      await sleep(200);
      for (const w of workers) {
        if (w.exitCode !== undefined) throw new Error(`${w.name} exited early:\n${w.tail()}`);
      }
      const row = (
        await db.execute<{ terminal: string; steps_done: string }>(sql`
          select (select count(*) from workflows where status in ('completed', 'failed')) as terminal,
                 (select count(*) from workflow_steps where finished_at is not null) as steps_done`)
      ).rows[0]!;
      const terminal = Number(row.terminal);
      const stepsDone = Number(row.steps_done);
      onProgress({
        label: options.label,
        leads: options.leads,
        ended: terminal,
        elapsedMs: Math.round(performance.now() - submitStarted),
      });
      if (submitted && terminal >= options.leads) break;
      if (Date.now() > DEADLINE_AT) {
        cutShort = true;
        break;
      }
      if (stepsDone !== lastProgress) {
        lastProgress = stepsDone;
        lastProgressAt = performance.now();
      } else if (performance.now() - lastProgressAt > STALL_MS) {
        throw new Error(
          `${options.label}: stalled, ${terminal}/${options.leads} workflows ended and nothing moved for ${STALL_MS / 1000} s`,
        );
      }
    }
    const elapsedMs = performance.now() - submitStarted;
    const { submitMs, submitted: submittedCount, errors: submitErrors } = await submission;
    const cpuAfter = cpuSnapshot(pids(), DATABASE_NAME);
    const measuredSeconds = (cpuAfter.atMs - cpuBefore.atMs) / 1000;
    const cpu = cpuCores(cpuBefore, cpuAfter);
    cpu.worker = workers.reduce((sum, _w, n) => sum + (cpu[`worker${n}`] ?? 0), 0);
    for (let n = 0; n < workers.length; n++) delete cpu[`worker${n}`];
    const ticksAfter = machineTicks();
    const machineBusy =
      ticksBefore && ticksAfter
        ? (ticksAfter.busy - ticksBefore.busy) / Math.max(1, ticksAfter.total - ticksBefore.total)
        : null;
    if (machineBusy !== null) {
      // Everything else on the machine: other engineers' tests, builds, benches (their PostgreSQL work is
      // in `postgres` but not in `postgresOurs`).
      const cores = navigator.hardwareConcurrency;
      const ours = (cpu.bench ?? 0) + (cpu.worker ?? 0) + (cpu.postgres ?? 0) + (cpu.redis ?? 0);
      cpu.others = Math.max(0, machineBusy * cores - ours);
    }
    const workerStats = await Promise.all(workers.map((w) => w.stop()));
    const enqueuedAt = new Map<string, number>();
    for (const w of workerStats) {
      for (const [id, at] of Object.entries((w?.enqueuedAt as Record<string, number>) ?? {}))
        enqueuedAt.set(id, at);
    }
    const figures = await workflowFigures(db, enqueuedAt);
    if (submitErrors.length) {
      throw new Error(`${submitErrors.length} enqueues failed during submit: ${String(submitErrors[0])}`);
    }
    // Per unit of work actually done (a run cut short did less than it was given): steps that finished,
    // and workflows as thirds of those.
    const steps = Math.max(1, figures.stepsFinished);
    return {
      label: options.label,
      leads: options.leads,
      concurrency: options.concurrency,
      poolSize: POOL_SIZE,
      latencyMs: options.latencyMs,
      pacedPerSecond: options.pacedPerSecond ?? null,
      cutShort,
      elapsedMs: Math.round(elapsedMs),
      ...figures,
      status: { ...figures.status, other: figures.status.other + options.leads - submittedCount },
      workflowsPerSecond: figures.spanMs > 0 ? figures.status.completed / (figures.spanMs / 1000) : 0,
      submitMs,
      simulatorRequests: simulator.stats().requests - requestsBefore,
      cpuCores: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v, 2) ?? 0])),
      machineBusy: round(machineBusy, 3),
      perWork: {
        ...capacity(cpu, measuredSeconds, steps / 3),
        workerCpuMsPerStep: round(((cpu.worker ?? 0) * measuredSeconds * 1000) / steps, 2),
        postgresCpuMsPerWorkflow: round(((cpu.postgresOurs ?? 0) * measuredSeconds * 1000) / (steps / 3), 2),
        workerRoundTripsPerStep: round(
          workerStats.reduce((sum, w) => sum + ((w?.roundTrips as number) ?? 0), 0) / steps,
          2,
        ),
      },
      // The enqueue times went into queueWaitMs; each worker's own figures stay.
      worker: workerStats.map((w) => {
        const { type: _type, enqueuedAt: _enqueuedAt, ...figures } = w ?? { type: "" };
        return figures;
      }),
    };
  } finally {
    for (const w of workers) w.kill();
    await Promise.all(workers.map((w) => w.exited));
  }
}
