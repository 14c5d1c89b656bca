/**
 * The leadflow worker for the pipeline benchmark, in its own process (its own event loop): exactly what
 * `npm run start:worker` runs (functions/worker/worker.ts's startWorker, configured from the environment),
 * plus IPC so the bench knows when it is ready and gets its figures back. It exits when asked, and on its own
 * when the bench goes away (the IPC channel closes).
 *
 * Measured on the side, at negligible cost: PostgreSQL round trips (every pg Client#query call, BEGIN and
 * COMMIT included), step jobs finished per queue, event-loop utilisation, how often a query had to wait for a
 * pooled connection, and the warnings it logged (the reconciler's re-enqueues among them).
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { loadConfig } from "@leadflow/core/config";
import { stepJobId } from "@leadflow/core/queue/port";
import pg from "pg";
import pino from "pino";
import { startWorker } from "../../functions/worker/worker.ts";

if (!process.send) {
  console.error("worker-child.ts is started by bench/pipeline.ts (it needs an IPC channel)");
  process.exit(2);
}
const send = (message: object) => process.send?.(message);
process.on("disconnect", () => process.exit(1));

let roundTrips = 0;
/** Round trips by the statement's first words, e.g. `update "workflow_steps"`. */
const statements: Record<string, number> = {};
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  roundTrips++;
  const text = typeof args[0] === "string" ? args[0] : ((args[0] as { text?: string })?.text ?? "?");
  const head = text.trimStart().split(/\s+/, 3).join(" ").slice(0, 40);
  statements[head] = (statements[head] ?? 0) + 1;
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

const config = loadConfig(process.env);
/**
 * The worker's log goes to stdout as usual (the bench keeps the tail for errors), and is tallied: warnings and
 * errors by message, and the work the reconciler re-enqueued (it should find none while the normal path works).
 */
const logged: Record<string, number> = {};
let requeuedByReconciler = 0;
const log = pino(
  { level: config.LOG_LEVEL, name: "bench-worker" },
  {
    write(line: string) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; requeued?: number };
        if ((entry.level ?? 0) >= 40) logged[entry.msg ?? "?"] = (logged[entry.msg ?? "?"] ?? 0) + 1;
        if (typeof entry.requeued === "number") requeuedByReconciler += entry.requeued;
      } catch {
        // not JSON: counted as nothing, still printed
      }
      process.stdout.write(line);
    },
  },
);
const worker = startWorker(config, log);
const pool = worker.pool;

const jobs: Record<string, { completed: number; failed: number }> = {};
const jobCounts = (step: string) => (jobs[step] ??= { completed: 0, failed: 0 });
/** When each delivered job was enqueued, by job id: the bench's queue wait runs from it to the step's claim. */
const enqueuedAt: Record<string, number> = {};
worker.consumers.onCompleted(({ job, enqueuedAt: at }) => {
  jobCounts(job.step).completed++;
  enqueuedAt[stepJobId(job)] = at;
});
worker.consumers.onFailed((_err, delivery) => {
  if (delivery) jobCounts(delivery.job.step).failed++;
});

await worker.consumers.ready();

const startedCpu = process.cpuUsage();
const startedElu = performance.eventLoopUtilization();
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const startRoundTrips = roundTrips;
// Pool pressure, sampled every 20 ms: queries queued for a free connection, and connections open.
let samples = 0;
let waitingSum = 0;
let waitingMax = 0;
let openMax = 0;
const sampler = setInterval(() => {
  samples++;
  waitingSum += pool.waitingCount;
  waitingMax = Math.max(waitingMax, pool.waitingCount);
  openMax = Math.max(openMax, pool.totalCount);
}, 20);

send({
  type: "ready",
  pid: process.pid,
  concurrency: config.WORKER_CONCURRENCY,
  pool: config.DATABASE_POOL_SIZE,
});

process.on("message", async (message: { type?: string }) => {
  if (message?.type !== "stop") return;
  clearInterval(sampler);
  delay.disable();
  const cpu = process.cpuUsage(startedCpu);
  const elu = performance.eventLoopUtilization(startedElu);
  const figures = {
    roundTrips: roundTrips - startRoundTrips,
    statements,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    eventLoopUtilization: elu.utilization,
    eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
    poolWaitingMean: samples ? waitingSum / samples : 0,
    poolWaitingMax: waitingMax,
    poolOpenMax: openMax,
  };
  const timer = setTimeout(() => process.exit(3), 10_000);
  try {
    // Closing finishes the jobs in hand first, so every delivery is counted and its enqueue time known.
    await worker.close();
  } finally {
    clearTimeout(timer);
    // Exits once the message is out: a large one may take more than one write to the channel.
    process.send?.({ type: "stats", ...figures, jobs, enqueuedAt, logged, requeuedByReconciler }, () =>
      process.exit(0),
    );
  }
});
