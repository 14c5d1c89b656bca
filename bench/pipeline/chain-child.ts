/**
 * The anchor: a chain of three no-op jobs through leadflow's own step queues (core/queue/bullmq.ts, the same
 * job options, fetch loops and connections as the worker), in its own process like the worker; classify's
 * handler enqueues extract, extract's enqueues route. No PostgreSQL, no model: what the queue alone costs. When
 * the last of CHAIN_COUNT route jobs has run it reports the time and each step's queue waits (enqueue to the
 * handler's start).
 */
import { createBullmqStepQueue, startBullmqWorkers } from "@leadflow/core/queue/bullmq";
import { type StepJob, stepJobId } from "@leadflow/core/queue/port";
import { STEP_NAMES } from "@leadflow/core/schemas/workflow";

if (!process.send) {
  console.error("chain-child.ts is started by bench/pipeline.ts (it needs an IPC channel)");
  process.exit(2);
}
const send = (message: object) => process.send?.(message);
process.on("disconnect", () => process.exit(1));

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = process.env.CHAIN_PREFIX ?? "bench-chain";
const concurrency = Number(process.env.CHAIN_CONCURRENCY ?? 8);
const count = Number(process.env.CHAIN_COUNT ?? 2000);

const queue = createBullmqStepQueue({ redisUrl, prefix });
const waits: number[][] = STEP_NAMES.map(() => []);
/** When each job's handler began, by job id, until its delivery reports its enqueue time. */
const startedAt = new Map<string, number>();
let done = 0;

const next: Partial<Record<StepJob["step"], StepJob["step"]>> = { classify: "extract", extract: "route" };
const consumers = startBullmqWorkers({
  redisUrl,
  prefix,
  concurrency,
  handler: async (job) => {
    startedAt.set(stepJobId(job), Date.now());
    const step = next[job.step];
    if (step) await queue.enqueue({ ...job, step });
  },
});
consumers.onCompleted(({ job, enqueuedAt }) => {
  const id = stepJobId(job);
  waits[STEP_NAMES.indexOf(job.step)]!.push((startedAt.get(id) ?? enqueuedAt) - enqueuedAt);
  startedAt.delete(id);
  if (job.step === "route" && ++done === count) send({ type: "done", at: Date.now(), waits });
});
await consumers.ready();
const startedCpu = process.cpuUsage();
send({ type: "ready", pid: process.pid });

process.on("message", async (message: { type?: string }) => {
  if (message?.type !== "stop") return;
  const cpu = process.cpuUsage(startedCpu);
  send({ type: "stats", cpuSeconds: (cpu.user + cpu.system) / 1e6, done });
  const timer = setTimeout(() => process.exit(3), 10_000);
  try {
    await consumers.close();
    await queue.close();
  } finally {
    clearTimeout(timer);
    process.exit(0);
  }
});
