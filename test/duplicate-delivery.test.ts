import { createLlmClient } from "@leadflow/core/llm/client";
import { createBullmqStepQueue } from "@leadflow/core/queue/bullmq";
import { runStep, type StepRunnerDeps } from "@leadflow/core/workflow/run-step";
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

    // The successor was handed on exactly once (the only job in this suite's extract queue), under its
    // deterministic id: enqueueing that id again adds nothing.
    const extractJobs = async () => {
      const { waiting, delayed } = (await queue.stats()).extract;
      return waiting + delayed;
    };
    expect(await extractJobs()).toBe(1);
    await queue.enqueue({ workflowId, step: "extract", run: 1, try: 1 });
    expect(await extractJobs()).toBe(1);
  });

  it("keeps one queue job when the same step is enqueued twice", async () => {
    const { token } = await api.signup();
    const classifyWaiting = async () => (await queue.stats()).classify.waiting;
    const before = await classifyWaiting();
    const submitted = await api.call("POST", "/leads", { token, body: sampleLead() });
    const job = { workflowId: submitted.json.workflow.id, step: "classify" as const, run: 1, try: 1 };
    await queue.enqueue(job);
    await queue.enqueue(job);
    // The API's enqueue made the one job; both of these found its id taken.
    expect(await classifyWaiting()).toBe(before + 1);
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
