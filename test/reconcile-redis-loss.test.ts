import { createLlmClientFromConfig } from "@leadflow/core/llm/client";
import { createLogger } from "@leadflow/core/logger";
import { createBullmqStepQueue } from "@leadflow/core/queue/bullmq";
import { type StepJob, stepJobId } from "@leadflow/core/queue/port";
import type { StepName } from "@leadflow/core/schemas/workflow";
import { reconcile } from "@leadflow/core/workflow/reconcile";
import { runStep, type StepRunnerDeps } from "@leadflow/core/workflow/run-step";
import { stepRunnerSettings } from "@leadflow/core/workflow/settings";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../functions/simulator/server.ts";
import { startWorker } from "../functions/worker/worker.ts";
import { sampleLead, startTestApi, type TestApi } from "./support/api.ts";
import { deleteRedisKeys, fileEnv } from "./support/isolation.ts";
import { waitFor } from "./support/wait.ts";

// PostgreSQL is the source of truth and Redis may come back empty (DESIGN.md, failure semantics). No worker runs
// until the end: the test delivers each step itself, so it knows exactly which job Redis held when it was lost.
let simulator: Simulator;
let api: TestApi;
let queue: ReturnType<typeof createBullmqStepQueue>;
let deps: StepRunnerDeps;
beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  api = await startTestApi({
    LLM_PROVIDER: "simulator",
    OPENAI_BASE_URL: simulator.url,
    LLM_TIMEOUT_MS: "5000",
    STEP_MAX_ATTEMPTS: "3",
    REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-loss`,
  });
  queue = createBullmqStepQueue({ redisUrl: api.config.REDIS_URL, prefix: api.config.REDIS_PREFIX });
  deps = {
    db: api.deps.database.db,
    queue,
    llm: createLlmClientFromConfig(api.config),
    settings: stepRunnerSettings(api.config),
  };
});
afterAll(async () => {
  await queue.close();
  await api.close();
  await simulator.close();
});

/** Redis restarting empty, as far as this suite's queues can tell: every key under their prefix is gone. */
const loseRedis = () => deleteRedisKeys(api.config.REDIS_URL, api.config.REDIS_PREFIX);

const queuedIds = async (step: StepName) => (await queue.pendingJobIds(step)) ?? [];

const reasons = (never_enqueued: number, retry_lost: number) => ({
  requeued: never_enqueued + retry_lost,
  reasons: { never_enqueued, claim_expired: 0, retry_lost },
});

describe("the reconciler after Redis lost its queues mid-workflow", () => {
  it("re-enqueues a lead's first step, the next step of a finished one, and a lost retry, and the workflow completes", async () => {
    const { token } = await api.signup();
    // Extract's first call is a 429 asking for 1 s: its retry then waits in Redis, delayed, to be lost there.
    const submitted = await api.call("POST", "/leads", {
      token,
      body: sampleLead({ message: "Quote for a new kitchen, please [[sim extract=http_429:1*1]]" }),
    });
    expect(submitted.status).toBe(202);
    const workflowId: string = submitted.json.workflow.id;
    const job = (step: StepName, attempt = 1): StepJob => ({ workflowId, step, run: 1, try: attempt });
    expect(await queuedIds("classify")).toEqual([stepJobId(job("classify"))]);

    // Lost before classify ran: the committed lead's first step is never_enqueued.
    await loseRedis();
    expect(await queuedIds("classify")).toEqual([]);
    expect(await reconcile(deps, { graceMs: 0 })).toEqual(reasons(1, 0));
    expect(await queuedIds("classify")).toEqual([stepJobId(job("classify"))]);

    // Lost after classify finished and handed on: extract, never started, is found from classify's completion.
    expect(await runStep(deps, job("classify"))).toBe("completed");
    expect(await queuedIds("extract")).toEqual([stepJobId(job("extract"))]);
    await loseRedis();
    expect(await reconcile(deps, { graceMs: 0 })).toEqual(reasons(1, 0));
    expect(await queuedIds("extract")).toEqual([stepJobId(job("extract"))]);

    // Lost while extract's retry waited out its Retry-After: retry_lost, but not before the retry is due.
    expect(await runStep(deps, job("extract"))).toBe("retry_scheduled");
    expect(await queuedIds("extract")).toContain(stepJobId(job("extract", 2)));
    await loseRedis();
    expect(await queuedIds("extract")).toEqual([]);
    expect(await reconcile(deps, { graceMs: 0 })).toEqual(reasons(0, 0));
    const found = await waitFor(
      async () => {
        const round = await reconcile(deps, { graceMs: 0 });
        return round.requeued > 0 ? round : undefined;
      },
      10_000,
      "the reconciler to find the lost retry once it was due",
      100,
    );
    expect(found).toEqual(reasons(0, 1));
    expect(await queuedIds("extract")).toEqual([stepJobId(job("extract", 2))]);

    // A worker now finds only what the reconciler put back, and the workflow ends as if nothing had been lost.
    const worker = startWorker(api.config, createLogger({ level: "silent", name: "redis-loss-worker" }));
    try {
      const lead = await waitFor(
        async () => {
          const res = await api.call("GET", `/leads/${submitted.json.id}`, { token });
          return ["completed", "failed"].includes(res.json.workflow.status) ? res.json : undefined;
        },
        20_000,
        "the workflow to finish",
      );
      expect(lead.workflow.status).toBe("completed");
      expect(lead.workflow.steps.map((s: any) => [s.name, s.status, s.attempts])).toEqual([
        ["classify", "completed", 1],
        ["extract", "completed", 2],
        ["route", "completed", 1],
      ]);
      const attempts = (await api.call("GET", `/leads/${submitted.json.id}/attempts`, { token })).json.items;
      expect(attempts.map((a: any) => [a.step, a.outcome, a.error?.code ?? null])).toEqual([
        ["classify", "succeeded", null],
        ["extract", "error", "LLM_RATE_LIMITED"],
        ["extract", "succeeded", null],
        ["route", "succeeded", null],
      ]);
    } finally {
      await worker.close();
    }
  });
});
