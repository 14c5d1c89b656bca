/**
 * `npm run bench:pipeline`: the workflow engine end to end, on this machine.
 *
 *   Run 1   2,000 leads, zero-latency simulator, for a few WORKER_CONCURRENCY values: workflows/s (first
 *           submit to last completion, from PostgreSQL's created_at/finished_at), queue wait p50/p99 per step
 *           (enqueue, BullMQ's job timestamp, to the step's claim in PostgreSQL) and the hand-off from the
 *           commit before it, against an anchor: a bare BullMQ chain of three no-op jobs at the same
 *           concurrency on the same Redis (chains/s).
 *   Run 1b  The same pipeline paced at a quarter of the best throughput: queue wait when the queues are not
 *           backlogged.
 *   Profile One lead at a time through runStep in this process: PostgreSQL round trips and time split per step.
 *   Run 2   1,000 leads with 500 ms model latency, against the ideal for the configured concurrency.
 *
 * Leads go in through core's submitLead in this process (not the HTTP API: the API is bench/ingest.ts's
 * subject). The simulator runs in this process; the worker runs in a child process (bench/support/
 * worker-child.ts: functions/worker's startWorker) so it never shares an event loop with the load generator.
 * Its own database (leadflow_bench_pipeline, dropped, created and migrated each run) and Redis prefix
 * (cleaned at start and end). Bounded: BENCH_TIMEOUT_MS (default 5 min), then every child is killed.
 *
 * Knobs (env): BENCH_LEADS (2000), BENCH_CONCURRENCIES ("8,16,32"), BENCH_POOL_SIZE (worker DATABASE_POOL_SIZE,
 * default 20), BENCH_LATENCY_LEADS (1000), BENCH_LATENCY_MS (500), BENCH_LATENCY_CONCURRENCY (50),
 * BENCH_WORKER_PROCESSES (1), BENCH_WORKER_DATABASE_URL (the worker's own way to the same database),
 * BENCH_WORKER_CPU_PROF (a directory for the worker's --cpu-prof), BENCH_SKIP_ANCHOR=1, BENCH_TIMEOUT_MS,
 * BENCH_STRICT=1 (exit 1 on a missed goal; lost or failed workflows always exit 1).
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { connectDatabase } from "@leadflow/core/db/client";
import { users } from "@leadflow/core/db/schema";
import { submitLead } from "@leadflow/core/leads/submit";
import { createBullmqStepQueue, stepQueueName } from "@leadflow/core/queue/bullmq";
import { stepJobId } from "@leadflow/core/queue/port";
import { STEP_NAMES, type StepName } from "@leadflow/core/schemas/workflow";
import { Queue } from "bullmq";
import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { startSimulator } from "../functions/simulator/server.ts";
import { CHAIN_JOB_OPTIONS, CHAIN_QUEUES } from "./support/chain.ts";
import { BenchChild, killAllChildren } from "./support/child.ts";
import { cpuCores, cpuSnapshot, machineTicks } from "./support/cpu.ts";
import { benchDatabaseUrl, recreateDatabase } from "./support/database.ts";
import { leadFor } from "./support/leads.ts";
import { profileSteps } from "./support/profile.ts";
import { fmt, forEachLimited, percentile, round, sleep, table, verdict } from "./support/stats.ts";

const env = process.env;
const num = (name: string, fallback: number) => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const TIMEOUT_MS = num("BENCH_TIMEOUT_MS", 300_000);
const LEADS = num("BENCH_LEADS", 2000);
const CONCURRENCIES = (env.BENCH_CONCURRENCIES ?? "8,16,32").split(",").map((c) => Number(c.trim()));
const POOL_SIZE = num("BENCH_POOL_SIZE", 20);
const LATENCY_LEADS = num("BENCH_LATENCY_LEADS", 1000);
const LATENCY_MS = num("BENCH_LATENCY_MS", 500);
const LATENCY_CONCURRENCY = num("BENCH_LATENCY_CONCURRENCY", 50);
/** Leads submitted at once by the load generator (and the anchor's producer). */
const SUBMIT_CONCURRENCY = 16;
const STALL_MS = 30_000;
const SKIP_ANCHOR = env.BENCH_SKIP_ANCHOR === "1";
/** Worker processes (each with WORKER_CONCURRENCY per queue); the design scales out this way. */
const WORKER_PROCESSES = num("BENCH_WORKER_PROCESSES", 1);
/** A directory: the worker child runs with --cpu-prof and writes its profile there (for findings). */
const WORKER_CPU_PROF = env.BENCH_WORKER_CPU_PROF;
const STRICT = env.BENCH_STRICT === "1";
const BENCH_STARTED = Date.now();
/**
 * Past this, a run stops waiting and reports what it has, marked cut short, so the report is always printed;
 * the watchdog at TIMEOUT_MS is only the last resort.
 */
const DEADLINE_AT = BENCH_STARTED + TIMEOUT_MS - Math.min(30_000, TIMEOUT_MS / 4);

const GOALS = { workflowsPerSecond: 150, queueWaitP50Ms: 5, latencyRatio: 1.2 };

const DATABASE_NAME = "leadflow_bench_pipeline";
const DATABASE_URL = benchDatabaseUrl(DATABASE_NAME);
/**
 * The worker may reach PostgreSQL another way (e.g. a Unix socket: `?host=/var/run/postgresql`) to compare
 * transports; BENCH_WORKER_DATABASE_URL must name the same database.
 */
const WORKER_DATABASE_URL = env.BENCH_WORKER_DATABASE_URL ?? DATABASE_URL;
const REDIS_URL = env.REDIS_URL ?? "redis://127.0.0.1:6379";
const REDIS_PREFIX = "lfbench-pipeline";
const ANCHOR_PREFIX = `${REDIS_PREFIX}-anchor`;
const PROFILE_PREFIX = `${REDIS_PREFIX}-profile`;
const WORKER_CHILD = fileURLToPath(new URL("./support/worker-child.ts", import.meta.url));
const CHAIN_CHILD = fileURLToPath(new URL("./support/chain-child.ts", import.meta.url));

const log = (line = "") => process.stdout.write(`${line}\n`);

/** What is known so far, printed as the JSON line even when the deadline cuts the bench short. */
const progress: {
  finished: Record<string, unknown>;
  current: { label: string; leads: number; ended: number; elapsedMs: number } | null;
} = { finished: {}, current: null };
/** Set once the bench holds connections: closes them and cleans its Redis keys (also on the deadline). */
let releaseAll: (() => Promise<void>) | null = null;

// ---------------------------------------------------------------------------------------------------------
// Set-up and tear-down

async function cleanRedis(redis: Redis) {
  let cursor = "0";
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${REDIS_PREFIX}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) removed += await redis.unlink(...keys);
  } while (cursor !== "0");
  return removed;
}

// ---------------------------------------------------------------------------------------------------------
// Figures

interface Quantiles {
  p50: number | null;
  p99: number | null;
  max: number | null;
}
const quantiles = (values: number[]): Quantiles => ({
  p50: round(percentile(values, 0.5), 2),
  p99: round(percentile(values, 0.99), 2),
  max: round(values.length ? Math.max(...values) : null, 2),
});

interface PipelineResult {
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
  /** Enqueue (the job's BullMQ timestamp) to the step's start (its claim, started_at). */
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
function capacity(cpu: Record<string, number>, seconds: number, workflows: number) {
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
function notRun(options: {
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
 * When each step's first job was enqueued (BullMQ stamps `timestamp` at add, in the enqueuing process), by
 * workflow id and step; the jobs are kept after completion (removeOnComplete keeps the last 10,000 per queue).
 */
async function enqueueTimes(redis: Redis, workflows: Array<{ id: string; run: number }>) {
  const jobKey = (workflowId: string, run: number, step: StepName) =>
    `${REDIS_PREFIX}:${stepQueueName(step)}:${stepJobId({ workflowId, step, run, try: 1 })}`;
  const keys = workflows.flatMap((w) => STEP_NAMES.map((step) => jobKey(w.id, w.run, step)));
  const times = new Map<string, number>();
  for (let i = 0; i < keys.length; i += 1000) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(i, i + 1000)) pipeline.hget(key, "timestamp");
    const results = (await pipeline.exec()) ?? [];
    results.forEach(([, value], j) => {
      if (value != null) times.set(keys[i + j]!, Number(value));
    });
  }
  return (id: string, run: number, step: StepName) => times.get(jobKey(id, run, step)) ?? null;
}

async function workflowFigures(db: ReturnType<typeof connectDatabase>["db"], redis: Redis) {
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
  const enqueuedAt = await enqueueTimes(
    redis,
    rows.map((r) => ({ id: r.id, run: r.run ?? 1 })),
  );
  for (const r of rows) {
    r.cq = enqueuedAt(r.id, r.run ?? 1, "classify");
    r.eq = enqueuedAt(r.id, r.run ?? 1, "extract");
    r.rq = enqueuedAt(r.id, r.run ?? 1, "route");
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

// ---------------------------------------------------------------------------------------------------------
// The bench

async function main() {
  const startedAt = BENCH_STARTED;
  log(`leadflow pipeline benchmark  (${new Date().toISOString()}, node ${process.version})`);
  log(
    `machine: ${navigator.hardwareConcurrency} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at start; PostgreSQL ${DATABASE_NAME}, Redis prefix ${REDIS_PREFIX}`,
  );
  log(
    "set-up: leads via core submitLead in the bench process (16 in flight); simulator in the bench process;",
  );
  log(
    `        worker in ${WORKER_PROCESSES} child process(es) (bench/support/worker-child.ts = functions/worker startWorker),`,
  );
  log(
    `        worker env: DATABASE_POOL_SIZE=${POOL_SIZE} (3 queues x concurrency jobs share it), LOG_LEVEL=warn, WORKER_METRICS_PORT=0${WORKER_DATABASE_URL === DATABASE_URL ? "" : `, DATABASE_URL=${WORKER_DATABASE_URL}`}`,
  );
  log();

  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  await recreateDatabase(DATABASE_URL);
  await cleanRedis(redis);
  const simulator = await startSimulator({ port: 0, latencyMs: 0 });
  const database = connectDatabase(DATABASE_URL, SUBMIT_CONCURRENCY);
  const { db } = database;
  const stepQueue = createBullmqStepQueue({ redisUrl: REDIS_URL, prefix: REDIS_PREFIX });
  const anchorConnection = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const anchorQueue = new Queue(CHAIN_QUEUES[0], { connection: anchorConnection, prefix: ANCHOR_PREFIX });
  const [user] = await db
    .insert(users)
    .values({ email: "bench-pipeline@example.com", passwordHash: "not-a-login" })
    .returning({ id: users.id });
  const userId = user!.id;

  const cleanup = async () => {
    releaseAll = null;
    await anchorQueue.close().catch(() => {});
    anchorConnection.disconnect();
    await stepQueue.close().catch(() => {});
    await cleanRedis(redis).catch(() => {});
    redis.disconnect();
    await simulator.close().catch(() => {});
    await database.close().catch(() => {});
  };
  releaseAll = cleanup;

  /** Fresh tables and queues for a run (no worker is alive while this runs). */
  async function reset() {
    await db.execute(sql`truncate table leads, workflows, workflow_steps, step_attempts, workflow_events`);
    await cleanRedis(redis);
  }

  async function runAnchor(concurrency: number, count: number) {
    await cleanRedis(redis);
    const child = new BenchChild(`anchor(c=${concurrency})`, CHAIN_CHILD, {
      REDIS_URL,
      CHAIN_PREFIX: ANCHOR_PREFIX,
      CHAIN_CONCURRENCY: String(concurrency),
      CHAIN_COUNT: String(count),
    });
    try {
      await child.waitFor("ready", 30_000);
      const firstAdd = Date.now();
      await forEachLimited(
        Array.from({ length: count }, (_, i) => i),
        SUBMIT_CONCURRENCY,
        async (i) => {
          await anchorQueue.add(CHAIN_QUEUES[0], { i }, { jobId: `${i}.1`, ...CHAIN_JOB_OPTIONS });
        },
      );
      const done = (await child.waitFor("done", 120_000)) as unknown as { at: number; waits: number[][] };
      const spanMs = done.at - firstAdd;
      const stats = await child.stop();
      return {
        concurrency,
        chains: count,
        spanMs,
        chainsPerSecond: count / (spanMs / 1000),
        queueWaitMs: Object.fromEntries(
          STEP_NAMES.map((s, i) => [s, quantiles(done.waits[i] ?? [])]),
        ) as Record<StepName, Quantiles>,
        workerCpuSeconds: (stats?.cpuSeconds as number) ?? null,
      };
    } finally {
      child.kill();
      await child.exited;
    }
  }

  async function runPipeline(options: {
    label: string;
    leads: number;
    concurrency: number;
    latencyMs: number;
    pacedPerSecond?: number;
  }): Promise<PipelineResult> {
    if (Date.now() > DEADLINE_AT) return notRun(options);
    await reset();
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
      const submitErrors: unknown[] = [];
      let submittedCount = 0;
      const submitOne = async (i: number) => {
        if (Date.now() > DEADLINE_AT) return; // the budget is spent: the rest are left out (reported as such)
        submittedCount++;
        await submitLead(
          { db, queue: stepQueue, onEnqueueFailure: (err) => submitErrors.push(err) },
          userId,
          {
            ...leadFor(i),
          },
        );
      };
      const indexes = Array.from({ length: options.leads }, (_, i) => i);
      let submitting: Promise<void>;
      if (options.pacedPerSecond) {
        const interval = 1000 / options.pacedPerSecond;
        submitting = (async () => {
          const inFlight: Promise<void>[] = [];
          for (const i of indexes) {
            const due = submitStarted + i * interval;
            const wait = due - performance.now();
            if (wait > 1) await sleep(wait);
            inFlight.push(submitOne(i));
          }
          await Promise.all(inFlight);
        })();
      } else {
        submitting = forEachLimited(indexes, SUBMIT_CONCURRENCY, submitOne);
      }
      let submitMs = 0;
      submitting = submitting.then(() => {
        submitMs = performance.now() - submitStarted;
      });

      // Wait for every workflow to end; fail on a stall (no step finishing for STALL_MS) or the run's deadline.
      let lastProgress = -1;
      let lastProgressAt = performance.now();
      let submitted = false;
      let cutShort = false;
      void submitting.then(() => (submitted = true)).catch(() => {});
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
        progress.current = {
          label: options.label,
          leads: options.leads,
          ended: terminal,
          elapsedMs: Math.round(performance.now() - submitStarted),
        };
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
      await submitting;
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
      const figures = await workflowFigures(db, redis);
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
          postgresCpuMsPerWorkflow: round(
            ((cpu.postgresOurs ?? 0) * measuredSeconds * 1000) / (steps / 3),
            2,
          ),
          workerRoundTripsPerStep: round(
            workerStats.reduce((sum, w) => sum + ((w?.roundTrips as number) ?? 0), 0) / steps,
            2,
          ),
        },
        worker: workerStats.map((w) => {
          const { type: _type, ...figures } = w ?? { type: "" };
          return figures;
        }),
      };
    } finally {
      for (const w of workers) w.kill();
      await Promise.all(workers.map((w) => w.exited));
    }
  }

  try {
    // Run 1: throughput at a few concurrencies, each next to its anchor.
    log(`Run 1: ${LEADS} leads, zero-latency simulator, WORKER_CONCURRENCY in ${CONCURRENCIES.join(", ")}`);
    const anchors: Awaited<ReturnType<typeof runAnchor>>[] = [];
    const throughput: PipelineResult[] = [];
    const skipped: number[] = [];
    progress.finished.anchors = anchors;
    progress.finished.run1 = throughput;
    for (const concurrency of CONCURRENCIES) {
      // Keep the whole bench inside its deadline: after 45% of it, the other concurrencies are left out.
      if (throughput.length > 0 && Date.now() - startedAt > 0.45 * TIMEOUT_MS) {
        skipped.push(concurrency);
        continue;
      }
      if (!SKIP_ANCHOR) {
        const anchor = await runAnchor(concurrency, LEADS);
        anchors.push(anchor);
        log(`  anchor   c=${concurrency}: ${fmt(anchor.chainsPerSecond, 0)} chains/s`);
      }
      const result = await runPipeline({
        label: `run1-c${concurrency}`,
        leads: LEADS,
        concurrency,
        latencyMs: 0,
      });
      throughput.push(result);
      log(
        `  pipeline c=${concurrency}: ${fmt(result.workflowsPerSecond, 1)} workflows/s  (${result.status.completed} completed, ${result.status.failed} failed, ${result.status.other} other)`,
      );
    }
    if (skipped.length) {
      log(
        `  (left out c=${skipped.join(", ")}: ${fmt((Date.now() - startedAt) / 1000, 0)} s gone of the ${TIMEOUT_MS / 1000} s budget)`,
      );
    }
    const best = throughput.reduce((a, b) => (b.workflowsPerSecond > a.workflowsPerSecond ? b : a));
    const bestAnchor = anchors.find((a) => a.concurrency === best.concurrency) ?? null;

    // Run 1b: queue wait without a backlog (paced at a quarter of the best throughput, so the
    // run stays clear of saturation even when other load on the machine comes and goes).
    const pacedRate = Math.max(5, Math.round(best.workflowsPerSecond / 4));
    // About 12 s of arrivals, at most 600 leads.
    const pacedLeads = Math.min(LEADS, 600, pacedRate * 12);
    log(`Run 1b: ${pacedLeads} leads paced at ${pacedRate}/s (a quarter of the best), c=${best.concurrency}`);
    const paced = await runPipeline({
      label: "run1b-paced",
      leads: pacedLeads,
      concurrency: best.concurrency,
      latencyMs: 0,
      pacedPerSecond: pacedRate,
    });

    progress.finished.run1b = paced;
    // Profile: round trips and time split per step, one lead at a time.
    log("Profile: 30 leads one at a time through submitLead and runStep in this process");
    let profile: Awaited<ReturnType<typeof profileSteps>> = [];
    if (Date.now() < DEADLINE_AT) {
      await reset();
      simulator.configure({ latencyMs: 0 });
      profile = await profileSteps({
        databaseUrl: DATABASE_URL,
        redisUrl: REDIS_URL,
        redisPrefix: PROFILE_PREFIX,
        simulatorUrl: simulator.url,
        userId,
        warmup: 5,
        samples: 30,
      });
    }

    progress.finished.profile = profile;
    // Run 2: model latency.
    log(
      `Run 2: ${LATENCY_LEADS} leads, ${LATENCY_MS} ms model latency, WORKER_CONCURRENCY=${LATENCY_CONCURRENCY}`,
    );
    const latency = await runPipeline({
      label: "run2-latency",
      leads: LATENCY_LEADS,
      concurrency: LATENCY_CONCURRENCY,
      latencyMs: LATENCY_MS,
    });
    const idealMs = Math.ceil(LATENCY_LEADS / LATENCY_CONCURRENCY) * LATENCY_MS + 2 * LATENCY_MS;
    // Cut short, the time so far is a lower bound on the run's time.
    const latencyRatio = (latency.cutShort ? latency.elapsedMs : latency.spanMs) / idealMs;

    // ----- report
    const all = [...throughput, paced, latency];
    // Lost: a workflow failed, or never ended although the run had time; cut short: the budget ran out.
    const lost = all.filter((r) => r.status.failed > 0 || (!r.cutShort && r.status.completed !== r.leads));
    const cutShort = all.filter((r) => r.cutShort);
    const waitPass = (q: Record<StepName, Quantiles>) =>
      STEP_NAMES.every((s) => (q[s].p50 ?? Infinity) <= GOALS.queueWaitP50Ms);
    // null: not measured (the run had no time); a cut-short latency run can only be known to miss.
    const goals = {
      throughput: best.status.completed > 0 ? best.workflowsPerSecond >= GOALS.workflowsPerSecond : null,
      queueWaitBurst: best.queueWaitMs.classify.p50 === null ? null : waitPass(best.queueWaitMs),
      queueWaitPaced: paced.queueWaitMs.classify.p50 === null ? null : waitPass(paced.queueWaitMs),
      latency:
        latency.elapsedMs === 0
          ? null
          : latency.cutShort
            ? latencyRatio > GOALS.latencyRatio
              ? false
              : null
            : latencyRatio <= GOALS.latencyRatio,
      integrity: lost.length === 0,
    };

    log();
    log("Run 1 (burst of leads, zero model latency): throughput");
    log(
      table([
        [
          "WORKER_CONCURRENCY",
          "workflows/s",
          "span s",
          "submit s",
          "anchor chains/s",
          "ratio",
          "CPU ms/workflow",
          "idle-machine projection",
          "completed/failed/other",
        ],
        ...throughput.map((r) => {
          const a = anchors.find((x) => x.concurrency === r.concurrency);
          return [
            String(r.concurrency),
            fmt(r.workflowsPerSecond, 1),
            fmt(r.spanMs / 1000, 2),
            fmt(r.submitMs / 1000, 2),
            fmt(a?.chainsPerSecond, 0),
            a ? `${fmt(r.workflowsPerSecond / a.chainsPerSecond, 3)}` : "-",
            fmt(r.perWork.cpuMsPerWorkflow, 1),
            `${fmt(r.perWork.projectedWorkflowsPerSecond, 0)}/s (${r.perWork.projectionLimit})`,
            `${r.status.completed}/${r.status.failed}/${r.status.other}`,
          ];
        }),
      ]),
    );
    log(
      "  (idle-machine projection: an upper bound from CPU cost, min(cores x 1000 / CPU ms per workflow of bench +",
    );
    log(
      "   worker + this database's backends + Redis, worker processes x 1000 / worker CPU ms per workflow))",
    );
    log();
    log(
      "Queue wait, hand-off and step time, ms. Queue wait: enqueue (the job's BullMQ timestamp) -> the step's start",
    );
    log(
      "(its claim, started_at). Hand-off: the commit before it began (the lead's created_at, or the previous step's",
    );
    log("finished_at) -> the step's start, so it also holds that commit's fsync and the enqueue call.");
    const waitRows = (r: PipelineResult, name: string) =>
      STEP_NAMES.map((s) => [
        `${name} ${s}`,
        fmt(r.queueWaitMs[s].p50, 1),
        fmt(r.queueWaitMs[s].p99, 1),
        fmt(r.handOffMs[s].p50, 1),
        fmt(r.handOffMs[s].p99, 1),
        fmt(r.stepServiceMs[s].p50, 1),
        fmt(r.stepServiceMs[s].p99, 1),
        verdict(r.queueWaitMs[s].p50 === null ? null : r.queueWaitMs[s].p50 <= GOALS.queueWaitP50Ms),
      ]);
    const anchorRows = bestAnchor
      ? STEP_NAMES.map((s, i) => [
          `anchor c=${bestAnchor.concurrency} job ${i + 1}`,
          fmt(bestAnchor.queueWaitMs[s].p50, 1),
          fmt(bestAnchor.queueWaitMs[s].p99, 1),
          "-",
          "-",
          "-",
          "-",
          "",
        ])
      : [];
    log(
      table([
        [
          "run / step",
          "wait p50",
          "wait p99",
          "hand-off p50",
          "hand-off p99",
          "step p50",
          "step p99",
          `wait p50<=${GOALS.queueWaitP50Ms}`,
        ],
        ...waitRows(best, `burst c=${best.concurrency}`),
        ...anchorRows,
        ...waitRows(paced, `paced ${pacedRate}/s`),
      ]),
    );
    log();
    log("Profile: one lead at a time (means over 30; PostgreSQL round trips include BEGIN/COMMIT)");
    log(
      table([
        [
          "phase",
          "round trips",
          "transactions",
          "total ms",
          "postgres ms",
          "model ms",
          "enqueue ms",
          "other ms",
        ],
        ...profile.map((p) => [
          p.phase,
          fmt(p.roundTrips, 1),
          fmt(p.transactions, 1),
          fmt(p.totalMs, 2),
          fmt(p.pgMs, 2),
          fmt(p.llmMs, 2),
          fmt(p.enqueueMs, 2),
          fmt(p.otherMs, 2),
        ]),
      ]),
    );
    const classifySample = profile.find((p) => p.phase === "classify");
    if (classifySample) {
      log(
        `  classify statements: ${classifySample.statements.map((s) => s.split(" ").slice(0, 3).join(" ")).join(" | ")}`,
      );
    }
    log();
    log(
      "Where the CPU went (cores busy during each run; bench = load generator + simulator; pg ours = this database's backends; others = the rest of the machine)",
    );
    log(
      table([
        [
          "run",
          "bench",
          "worker",
          "pg ours",
          "pg all",
          "redis",
          "others",
          "machine busy",
          "worker ELU",
          "worker pool wait",
          "worker CPU ms/step",
          "pg CPU ms/workflow",
          "round trips/step",
        ],
        ...all.map((r) => [
          r.label,
          fmt(r.cpuCores.bench, 2),
          fmt(r.cpuCores.worker, 2),
          fmt(r.cpuCores.postgresOurs, 2),
          fmt(r.cpuCores.postgres, 2),
          fmt(r.cpuCores.redis, 2),
          fmt(r.cpuCores.others, 2),
          r.machineBusy === null ? "-" : `${fmt(r.machineBusy * 100, 0)}%`,
          r.worker.map((w) => fmt(w.eventLoopUtilization as number, 2)).join(" "),
          r.worker
            .map(
              (w) => `${fmt(w.poolWaitingMean as number, 1)} avg/${fmt(w.poolWaitingMax as number, 0)} max`,
            )
            .join(" "),
          fmt(r.perWork.workerCpuMsPerStep, 2),
          fmt(r.perWork.postgresCpuMsPerWorkflow, 2),
          fmt(r.perWork.workerRoundTripsPerStep, 1),
        ]),
      ]),
    );
    for (const r of all) {
      const logged: Record<string, number> = {};
      let requeued = 0;
      for (const w of r.worker) {
        for (const [msg, n] of Object.entries((w.logged as Record<string, number>) ?? {})) {
          logged[msg] = (logged[msg] ?? 0) + n;
        }
        requeued += (w.requeuedByReconciler as number) ?? 0;
      }
      if (Object.keys(logged).length > 0) {
        log(
          `  ${r.label}: worker warnings/errors: ${Object.entries(logged)
            .map(([msg, n]) => `${n} x "${msg}"`)
            .join(", ")}${requeued ? ` (reconciler re-enqueued ${requeued} steps)` : ""}`,
        );
      }
    }
    const othersMax = Math.max(...all.map((r) => r.cpuCores.others ?? 0));
    if (othersMax > 0.25) {
      log(
        `NOTE: other processes on this machine used up to ${fmt(othersMax, 2)} of its ${navigator.hardwareConcurrency} cores during these runs; the figures understate what it does alone.`,
      );
    }
    log();
    log(
      `Run 2 (${LATENCY_LEADS} leads, ${LATENCY_MS} ms model latency, WORKER_CONCURRENCY=${LATENCY_CONCURRENCY})`,
    );
    log(
      `  ideal = ceil(leads / concurrency) x latency + 2 x latency = ceil(${LATENCY_LEADS}/${LATENCY_CONCURRENCY}) x ${LATENCY_MS} + 2 x ${LATENCY_MS} = ${idealMs} ms`,
    );
    log(
      "  (each step queue has WORKER_CONCURRENCY slots and the three queues run in parallel: classify drains in",
    );
    log("   ceil(leads/concurrency) waves of one latency each; the last wave then needs extract and route)");
    log(
      `  measured ${latency.cutShort ? `more than ${fmt(latency.elapsedMs, 0)} ms (cut short by the time budget)` : `${fmt(latency.spanMs, 0)} ms (first created_at -> last finished_at)`}, ratio ${latency.cutShort ? ">= " : ""}${fmt(latencyRatio, 3)}; ${latency.status.completed}/${latency.status.failed}/${latency.status.other} completed/failed/other`,
    );
    log();
    log("Goals");
    log(
      table([
        ["goal", "target", "measured", "verdict"],
        [
          "throughput (run 1, best)",
          `>= ${GOALS.workflowsPerSecond} workflows/s`,
          `${fmt(best.workflowsPerSecond, 1)} at c=${best.concurrency}`,
          verdict(goals.throughput),
        ],
        [
          "queue wait p50, burst (run 1)",
          `<= ${GOALS.queueWaitP50Ms} ms each step`,
          STEP_NAMES.map((s) => fmt(best.queueWaitMs[s].p50, 1)).join(" / "),
          verdict(goals.queueWaitBurst),
        ],
        [
          "queue wait p50, paced (run 1b)",
          `<= ${GOALS.queueWaitP50Ms} ms each step`,
          STEP_NAMES.map((s) => fmt(paced.queueWaitMs[s].p50, 1)).join(" / "),
          verdict(goals.queueWaitPaced),
        ],
        [
          "latency run vs ideal (run 2)",
          `<= ${GOALS.latencyRatio}x`,
          `${fmt(latencyRatio, 3)}x`,
          verdict(goals.latency),
        ],
        [
          "every workflow completed",
          "all runs",
          all.map((r) => `${r.status.completed}/${r.leads}`).join(", "),
          !goals.integrity ? "FAIL" : cutShort.length ? "INCOMPLETE" : "PASS",
        ],
      ]),
    );
    log(`(total bench time ${fmt((Date.now() - startedAt) / 1000, 0)} s)`);
    log(
      JSON.stringify({
        bench: "pipeline",
        at: new Date(startedAt).toISOString(),
        node: process.version,
        cores: navigator.hardwareConcurrency,
        loadavgStart: loadavg(),
        submitVia: "core submitLead (in process)",
        workerIn: `${WORKER_PROCESSES} child process(es)`,
        workerEnv: { DATABASE_POOL_SIZE: POOL_SIZE, LOG_LEVEL: "warn", WORKER_METRICS_PORT: 0 },
        goals: GOALS,
        verdicts: goals,
        run1: throughput,
        run1Skipped: skipped,
        anchors,
        best: { concurrency: best.concurrency, workflowsPerSecond: round(best.workflowsPerSecond, 1) },
        anchorRatio: bestAnchor ? round(best.workflowsPerSecond / bestAnchor.chainsPerSecond, 3) : null,
        run1b: paced,
        profile: profile.map(({ statements: _s, ...p }) =>
          Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === "number" ? round(v, 2) : v])),
        ),
        run2: { ...latency, idealMs, ratio: round(latencyRatio, 3), formula: "ceil(N/C)*L + 2*L" },
      }),
    );
    if (cutShort.length) {
      log(
        `INCOMPLETE: the ${TIMEOUT_MS / 1000} s budget (BENCH_TIMEOUT_MS) ran out during ${cutShort.map((r) => r.label).join(", ")}; their figures cover the work done so far.`,
      );
    }
    if (!goals.integrity || cutShort.length) return 1;
    if (STRICT && !(goals.throughput && goals.queueWaitPaced && goals.latency)) return 1;
    return 0;
  } finally {
    await cleanup();
  }
}

let timedOut = false;
const watchdog = setTimeout(async () => {
  timedOut = true;
  process.stderr.write(`bench:pipeline: gave up after ${TIMEOUT_MS / 1000} s; killing its processes\n`);
  killAllChildren();
  const current = progress.current;
  if (current) {
    log(
      `  cut short in ${current.label}: ${current.ended}/${current.leads} workflows ended after ${fmt(current.elapsedMs / 1000, 1)} s (${fmt(current.ended / (current.elapsedMs / 1000), 1)}/s)`,
    );
  }
  log(JSON.stringify({ bench: "pipeline", timedOut: true, timeoutMs: TIMEOUT_MS, ...progress }));
  if (releaseAll) await Promise.race([releaseAll().catch(() => {}), sleep(5_000)]);
  process.exit(1);
}, TIMEOUT_MS);
watchdog.unref();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  (code) => {
    killAllChildren();
    process.exit(code);
  },
  (err) => {
    if (timedOut) return; // the deadline's handler reports and exits; this is its closing connections
    process.stderr.write(
      `bench:pipeline failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    killAllChildren();
    process.exit(1);
  },
);
