import { createLlmClient } from "@leadflow/core/llm/client";
import { createBullmqStepQueue, stepQueueName } from "@leadflow/core/queue/bullmq";
import { stepJobId } from "@leadflow/core/queue/port";
import { reconcile } from "@leadflow/core/workflow/reconcile";
import { runStep, type StepRunnerDeps } from "@leadflow/core/workflow/run-step";
import { Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../functions/simulator/server.ts";
import { sampleLead, startTestApi, type TestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";

// No worker runs in this suite: the test itself plays the queue and delivers the same job more than once.
let api: TestApi;
let simulator: Simulator;
let deps: StepRunnerDeps;
let queue: ReturnType<typeof createBullmqStepQueue>;
beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  const prefix = `${fileEnv("REDIS_PREFIX")}-dup`;
  api = await startTestApi({ REDIS_PREFIX: prefix });
  queue = createBullmqStepQueue({ redisUrl: api.config.REDIS_URL, prefix });
  deps = {
    db: api.deps.database.db,
    queue,
    llm: createLlmClient({
      baseURL: simulator.url,
      apiKey: "test",
      model: "leadflow-simulator",
      timeoutMs: 5000,
    }),
    settings: {
      maxAttempts: 3,
      maxReasks: 2,
      leaseMs: 60_000,
      maxTakeovers: 3,
      userDailyTokenBudget: 0,
      pricing: { inputPerMillion: 0, outputPerMillion: 0 },
      backoff: { baseMs: 10, capMs: 50, maxRetryAfterMs: 1000 },
    },
  };
});
afterAll(async () => {
  await queue.close();
  await api.close();
  await simulator.close();
});

describe("duplicate delivery", () => {
  it("runs a step once when the same job is delivered twice at the same time, and again later", async () => {
    const { token } = await api.signup();
    const submitted = await api.call("POST", "/leads", {
      token,
      body: sampleLead({ message: "Quote for a loft conversion please [[sim delay=300]]" }),
    });
    const workflowId = submitted.json.workflow.id;
    const job = { workflowId, step: "classify" as const, run: 1, try: 1 };
    const callsBefore = simulator.stats().byStep.classify ?? 0;

    const outcomes = await Promise.all([runStep(deps, job), runStep(deps, job)]);
    expect(outcomes.sort()).toEqual(["completed", "not_claimed"]);
    expect(await runStep(deps, job)).toBe("not_claimed");
    // A late retry delivery of the same step is stale too.
    expect(await runStep(deps, { ...job, try: 2 })).toBe("not_claimed");

    expect((simulator.stats().byStep.classify ?? 0) - callsBefore).toBe(1);
    const lead = await api.call("GET", `/leads/${submitted.json.id}`, { token });
    const classify = lead.json.workflow.steps[0];
    expect(classify).toMatchObject({ status: "completed", attempts: 1 });
    const attempts = await api.call("GET", `/leads/${submitted.json.id}/attempts`, { token });
    expect(attempts.json.items).toHaveLength(1);
    const events = await api.call("GET", `/leads/${submitted.json.id}/events`, { token });
    expect(events.json.items.filter((e: any) => e.type === "step_completed")).toHaveLength(1);

    // The successor was handed on exactly once, under its deterministic id.
    const waiting = await queue.queues.extract.getJobs(["waiting", "delayed"]);
    expect(waiting.filter((j) => j.data.workflowId === workflowId).map((j) => j.id)).toEqual([
      `${workflowId}.extract.r1.t1`,
    ]);
  });

  it("keeps one queue job when the same step is enqueued twice", async () => {
    const { token } = await api.signup();
    const submitted = await api.call("POST", "/leads", { token, body: sampleLead() });
    const job = { workflowId: submitted.json.workflow.id, step: "classify" as const, run: 1, try: 1 };
    await queue.enqueue(job);
    await queue.enqueue(job);
    const jobs = await queue.queues.classify.getJobs(["waiting"]);
    expect(jobs.filter((j) => j.data.workflowId === job.workflowId)).toHaveLength(1);
  });

  it("ignores a delivery for an older run after the workflow was resumed", async () => {
    const { token } = await api.signup();
    const submitted = await api.call("POST", "/leads", {
      token,
      body: sampleLead({ message: "x [[sim classify=http_401*1]]" }),
    });
    const job = { workflowId: submitted.json.workflow.id, step: "classify" as const, run: 1, try: 1 };
    expect(await runStep(deps, job)).toBe("failed");
    expect((await api.call("POST", `/leads/${submitted.json.id}/retry`, { token })).status).toBe(202);
    expect(await runStep(deps, job)).toBe("not_claimed");
    expect(await runStep(deps, { ...job, run: 2 })).toBe("completed");
  });
});

describe("a job fetched by a worker that died before claiming its step", () => {
  // Its own queues: the job fetched here must be this test's, not one another test left waiting.
  const prefix = () => `${fileEnv("REDIS_PREFIX")}-abandoned`;

  /** Plays a worker that fetches the step's job from the queue, then never claims, renews or finishes it. */
  async function fetchAndAbandon(lockMs: number) {
    const fetcher = new Worker(stepQueueName("classify"), null, {
      connection: { url: api.config.REDIS_URL },
      prefix: prefix(),
      lockDuration: lockMs,
    });
    const job = await fetcher.getNextJob("gone-worker");
    await fetcher.close(true);
    return job;
  }

  // One round each time: no other reconciler runs on this file's database, so it always takes the lock.
  const reconcileRound = (abandonedQueue: ReturnType<typeof createBullmqStepQueue>) =>
    reconcile({ db: api.deps.database.db, queue: abandonedQueue }, { graceMs: 0 });

  it("is taken back by the reconciler once its lock lapses, and left alone while a live worker holds it", async () => {
    const abandonedApi = await startTestApi({ REDIS_PREFIX: prefix() });
    const abandonedQueue = createBullmqStepQueue({ redisUrl: api.config.REDIS_URL, prefix: prefix() });
    try {
      const { token } = await abandonedApi.signup();
      const submitted = await abandonedApi.call("POST", "/leads", { token, body: sampleLead() });
      const id = stepJobId({ workflowId: submitted.json.workflow.id, step: "classify", run: 1, try: 1 });
      const stateOf = async () => (await abandonedQueue.queues.classify.getJob(id))?.getState();

      // Held: a worker that still renews its lock (a long one here) keeps its job.
      expect((await fetchAndAbandon(60_000))?.id).toBe(id);
      await reconcileRound(abandonedQueue);
      expect(await stateOf()).toBe("active");

      // Lapsed: the same job, its lock expired, goes back to the queue under its id, ready for a live worker.
      const job = await abandonedQueue.queues.classify.getJob(id);
      await job?.extendLock("gone-worker", 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await reconcileRound(abandonedQueue);
      expect(await stateOf()).toBe("waiting");
    } finally {
      await abandonedQueue.close();
      await abandonedApi.close();
    }
  });
});
