import { randomUUID } from "node:crypto";
import { Queue, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileEnv } from "../../test/support/isolation.ts";
import { createBullmqStepQueue, startBullmqWorkers, stepQueueName } from "./bullmq.ts";
import { type InspectableStepQueue, type StepDelivery, type StepJob, stepJobId } from "./port.ts";

// Each describe has queues of its own, so no other suite's jobs or workers are counted here.
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const stepJob = (step: StepJob["step"] = "classify"): StepJob => ({
  workflowId: randomUUID(),
  step,
  run: 1,
  try: 1,
});

describe("BullMQ step consumers", () => {
  const prefix = () => `${fileEnv("REDIS_PREFIX")}-consumers`;
  let queue: InspectableStepQueue;
  beforeAll(() => {
    queue = createBullmqStepQueue({ redisUrl, prefix: prefix() });
  });
  afterAll(async () => {
    await queue.close();
  });

  it("report each delivery's end with the job and its enqueue time, and count as the queues' consumers", async () => {
    const ok = stepJob("extract");
    const failing = stepJob("route");
    const completed: StepDelivery[] = [];
    const failed: Array<{ message: string; delivery: StepDelivery | undefined }> = [];
    let settle: () => void = () => {};
    const bothSettled = new Promise<void>((resolve) => {
      settle = () => completed.length + failed.length === 2 && resolve();
    });
    const consumers = startBullmqWorkers({
      redisUrl,
      prefix: prefix(),
      concurrency: 2,
      handler: async (job) => {
        if (job.workflowId === failing.workflowId) throw new Error("the step broke");
      },
    });
    consumers.onCompleted((delivery) => {
      completed.push(delivery);
      settle();
    });
    consumers.onFailed((err, delivery) => {
      failed.push({ message: err.message, delivery });
      settle();
    });
    try {
      await consumers.ready();
      expect(await queue.consumers()).toBe(1);
      const before = Date.now();
      await queue.enqueue(ok);
      await queue.enqueue(failing);
      const after = Date.now();
      await bothSettled;

      expect(completed.map((d) => d.job)).toEqual([ok]);
      expect(failed).toEqual([
        { message: "the step broke", delivery: expect.objectContaining({ job: failing }) },
      ]);
      for (const delivery of [...completed, failed[0]!.delivery!]) {
        expect(delivery.enqueuedAt).toBeGreaterThanOrEqual(before);
        expect(delivery.enqueuedAt).toBeLessThanOrEqual(after);
      }
      const stats = await queue.stats();
      expect(stats.route).toMatchObject({ waiting: 0, active: 0, failed: 1 });
      expect(stats.extract).toMatchObject({ waiting: 0, active: 0, failed: 0 });
    } finally {
      await consumers.close();
    }
    expect(await queue.consumers()).toBe(0);
  });

  it("count waiting and delayed jobs by step, and the oldest waiting job's age", async () => {
    const statsPrefix = `${prefix()}-stats`;
    const counted = createBullmqStepQueue({ redisUrl, prefix: statsPrefix });
    try {
      await counted.enqueue(stepJob("classify"));
      await counted.enqueue(stepJob("classify"));
      await counted.enqueue(stepJob("extract"), { delayMs: 60_000 });
      const stats = await counted.stats();
      expect(stats.classify).toMatchObject({ waiting: 2, delayed: 0, active: 0, failed: 0 });
      expect(stats.classify.oldestWaitingAgeMs).toBeGreaterThanOrEqual(0);
      expect(stats.extract).toMatchObject({ waiting: 0, delayed: 1, oldestWaitingAgeMs: 0 });
      expect(stats.route).toMatchObject({ waiting: 0, delayed: 0 });
    } finally {
      await counted.close();
    }
  });
});

describe("a job fetched by a worker that died before claiming its step", () => {
  // Its own queues: the job fetched here must be this test's, not one another test left waiting.
  const prefix = () => `${fileEnv("REDIS_PREFIX")}-abandoned`;

  /** Plays a worker that fetches the step's job from the queue, then never claims, renews or finishes it. */
  async function fetchAndAbandon(lockMs: number) {
    const fetcher = new Worker(stepQueueName("classify"), null, {
      connection: { url: redisUrl },
      prefix: prefix(),
      lockDuration: lockMs,
    });
    const job = await fetcher.getNextJob("gone-worker");
    await fetcher.close(true);
    return job;
  }

  it("is taken back by the reconciler's replacing enqueue once its lock lapses, and left alone while a live worker holds it", async () => {
    const queue = createBullmqStepQueue({ redisUrl, prefix: prefix() });
    const inspect = new Queue(stepQueueName("classify"), { connection: { url: redisUrl }, prefix: prefix() });
    try {
      const job = stepJob("classify");
      const id = stepJobId(job);
      await queue.enqueue(job);
      const stateOf = async () => (await inspect.getJob(id))?.getState();

      // Held: a worker that still renews its lock (a long one here) keeps its job.
      expect((await fetchAndAbandon(60_000))?.id).toBe(id);
      await queue.enqueue(job, { replaceFinished: true });
      expect(await stateOf()).toBe("active");

      // Lapsed: the same job, its lock expired, goes back to the queue under its id, ready for a live worker.
      await (await inspect.getJob(id))?.extendLock("gone-worker", 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await queue.enqueue(job, { replaceFinished: true });
      expect(await stateOf()).toBe("waiting");
    } finally {
      await inspect.close();
      await queue.close();
    }
  });
});
