/**
 * The anchor: a bare BullMQ chain of three no-op jobs, in its own process like the leadflow worker. Three
 * queues, one Worker each with the same concurrency and connection set-up as core/queue/bullmq.ts; job 1's
 * processor adds job 2, job 2's adds job 3 (same job options as leadflow's step jobs). When the last of
 * CHAIN_COUNT third jobs has run it reports the time and the queue waits (BullMQ's own timestamps).
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { CHAIN_JOB_OPTIONS, CHAIN_QUEUES } from "./chain.ts";

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

const producer = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
const queues = CHAIN_QUEUES.map((name) => new Queue(name, { connection: producer, prefix }));
const connections: Redis[] = [];
const waits: number[][] = [[], [], []];
let done = 0;

const workers = CHAIN_QUEUES.map((name, index) => {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  connections.push(connection);
  return new Worker<{ i: number }>(
    name,
    async (job) => {
      if (job.processedOn) waits[index]!.push(job.processedOn - job.timestamp);
      const next = queues[index + 1];
      if (next) {
        await next.add(name, job.data, { jobId: `${job.data.i}.${index + 2}`, ...CHAIN_JOB_OPTIONS });
        return;
      }
      done++;
      if (done === count) send({ type: "done", at: Date.now(), waits });
    },
    { connection, prefix, concurrency },
  );
});
await Promise.all(workers.map((w) => w.waitUntilReady()));
const startedCpu = process.cpuUsage();
send({ type: "ready", pid: process.pid });

process.on("message", async (message: { type?: string }) => {
  if (message?.type !== "stop") return;
  const cpu = process.cpuUsage(startedCpu);
  send({ type: "stats", cpuSeconds: (cpu.user + cpu.system) / 1e6, done });
  const timer = setTimeout(() => process.exit(3), 10_000);
  try {
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(queues.map((q) => q.close()));
    for (const c of [producer, ...connections]) c.disconnect();
  } finally {
    clearTimeout(timer);
    process.exit(0);
  }
});
