import { type Job as BullJob, Queue, Worker } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { STEP_NAMES, type StepName } from "../schemas/workflow.ts";
import {
  type Consumers,
  consumerEvents,
  type Delivery,
  type InspectableStepQueue,
  type QueueCounts,
  type QueueStats,
  type StepConsumers,
  type StepJob,
  type StepJobHandler,
  stepJobId,
} from "./port.ts";

export interface BullmqOptions {
  redisUrl: string;
  prefix: string;
}

const ENQUEUE_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Frees a job id for a re-enqueue: a finished job is removed so the id can run again, and so is an active one
 * whose lock has lapsed (its worker died after fetching it, before it claimed the step); otherwise the add would
 * be a no-op and the step would wait for BullMQ's own stalled-job check. BullMQ refuses to remove a job whose
 * worker still holds its lock, so a live delivery is left alone.
 */
async function freeJobId(queue: Queue, jobId: string) {
  const existing = await queue.getJob(jobId);
  if (!existing) return;
  const state = await existing.getState();
  if (state === "completed" || state === "failed") await existing.remove();
  else if (state === "active") {
    await existing.remove().catch((err: unknown) => {
      // Still locked: a live worker holds it, and its own claim decides. Anything else is the caller's to see.
      if (!(err instanceof Error && /locked/.test(err.message))) throw err;
    });
  }
}

export const stepQueueName = (step: StepName) => `step-${step}`;

/** Any BullMQ queue's counts, as the port reports them. */
export async function queueCounts(queue: Queue): Promise<QueueCounts> {
  const [counts, [oldest]] = await Promise.all([
    queue.getJobCounts("waiting", "delayed", "active", "failed"),
    queue.getJobs(["waiting"], 0, 0, true),
  ]);
  return {
    waiting: counts.waiting ?? 0,
    delayed: counts.delayed ?? 0,
    active: counts.active ?? 0,
    failed: counts.failed ?? 0,
    oldestWaitingAgeMs: oldest ? Math.max(0, Date.now() - oldest.timestamp) : 0,
  };
}

const KEEP_JOBS = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * The producer side. Commands wait for Redis only briefly (one reconnect, then at most ENQUEUE_TIMEOUT_MS): an
 * enqueue that cannot be made fails, and the caller, who has already committed to PostgreSQL, leaves the job to
 * the reconciler instead of holding an HTTP answer hostage to Redis.
 */
export function createBullmqStepQueue(options: BullmqOptions): InspectableStepQueue {
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  connection.on("error", () => {});
  const queues = Object.fromEntries(
    STEP_NAMES.map((step) => [step, new Queue(stepQueueName(step), { connection, prefix: options.prefix })]),
  ) as Record<StepName, Queue>;
  for (const q of Object.values(queues)) q.on("error", () => {});
  return {
    async enqueue(job, { delayMs, replaceFinished } = {}) {
      if (replaceFinished) await freeJobId(queues[job.step], stepJobId(job));
      const added = queues[job.step].add(job.step, job, {
        jobId: stepJobId(job),
        delay: delayMs && delayMs > 0 ? Math.round(delayMs) : undefined,
        // Retries are decided by the workflow in PostgreSQL, not by the queue: one delivery, one job.
        attempts: 1,
        ...KEEP_JOBS,
      });
      await withTimeout(added, ENQUEUE_TIMEOUT_MS, "enqueue timed out: Redis did not answer");
    },
    async stats() {
      const entries = await Promise.all(
        STEP_NAMES.map(async (step) => [step, await queueCounts(queues[step])]),
      );
      return Object.fromEntries(entries) as QueueStats;
    },
    async consumers() {
      // BullMQ names each worker's connection after its queue (CLIENT SETNAME), so Redis's client list tells.
      return Math.min(...(await Promise.all(Object.values(queues).map((q) => q.getWorkersCount()))));
    },
    async pendingJobIds(step) {
      const jobs = await queues[step].getJobs(["waiting", "delayed", "prioritized"]);
      return jobs.flatMap((job) => (job.id ? [job.id] : []));
    },
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      connection.disconnect();
    },
  };
}

/**
 * Job slots one BullMQ Worker (one fetch loop) serves. A Worker fetches its jobs one Redis round trip after
 * another, so a burst of jobs arriving together (a wave of steps finishing at once) would start up to
 * `concurrency` round trips apart; several Workers on one queue fetch side by side.
 */
export const SLOTS_PER_FETCH_LOOP = 8;

/** `concurrency` slots split as evenly as possible over as few fetch loops as SLOTS_PER_FETCH_LOOP allows. */
export function fetchLoopSlots(concurrency: number): number[] {
  const loops = Math.ceil(concurrency / SLOTS_PER_FETCH_LOOP);
  return Array.from(
    { length: loops },
    (_, i) => Math.floor(concurrency / loops) + (i < concurrency % loops ? 1 : 0),
  );
}

/**
 * Workers for each step queue, all calling the same handler; `concurrency` is the jobs in hand per queue (shared
 * by that queue's fetch loops).
 */
export function startBullmqWorkers(
  options: BullmqOptions & {
    concurrency: number;
    handler: StepJobHandler;
    steps?: readonly StepName[];
    /**
     * How long a fetched job stays locked without its worker's heartbeat (renewed at half this), and how often
     * workers look for jobs whose lock lapsed. Past it, a dead worker's job can be taken back. BullMQ's default
     * is 30 s.
     */
    lockMs?: number;
  },
): StepConsumers {
  const events = consumerEvents<StepJob>();
  const queues = (options.steps ?? STEP_NAMES).map((step) =>
    startFetchLoops<StepJob>(stepQueueName(step), (job) => options.handler(job), events, options),
  );
  return {
    ...events.listen,
    async ready() {
      await Promise.all(queues.map((q) => q.ready()));
    },
    async close() {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}

/**
 * The consumer of one BullMQ queue, of any job: `concurrency` slots over fetch loops on one connection of its own,
 * each delivery's end reported through `events`. Step queues use it; so can any other queue of the system.
 */
export function startFetchLoops<Job>(
  queueName: string,
  handler: (job: Job) => Promise<void>,
  events: Pick<ReturnType<typeof consumerEvents<Job>>, "completed" | "failed" | "error">,
  options: BullmqOptions & { concurrency: number; lockMs?: number },
): Pick<Consumers<Job>, "ready" | "close"> {
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null } satisfies RedisOptions);
  connection.on("error", () => {});
  const delivery = (job: BullJob<Job>): Delivery<Job> => ({ job: job.data, enqueuedAt: job.timestamp });
  const workers = fetchLoopSlots(options.concurrency).map((slots) => {
    const worker = new Worker<Job>(queueName, (job) => handler(job.data), {
      connection,
      prefix: options.prefix,
      concurrency: slots,
      ...(options.lockMs ? { lockDuration: options.lockMs, stalledInterval: options.lockMs } : {}),
    });
    worker.on("completed", (job) => events.completed(delivery(job)));
    // No job when the failure is no longer one job's (a stalled job past its limit may be gone).
    worker.on("failed", (job, err) => events.failed(err, job ? delivery(job) : undefined));
    worker.on("error", (err) => events.error(err));
    return worker;
  });
  return {
    async ready() {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      // The shared connection is ours to close: BullMQ only closes the ones it created itself.
      connection.disconnect();
    },
  };
}
