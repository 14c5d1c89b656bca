import { createLogger } from "@leadflow/core/logger";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../functions/simulator/server.ts";
import { startWorker } from "../functions/worker/worker.ts";
import { sampleLead } from "./support/api.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";
import { waitFor } from "./support/wait.ts";

const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closing.length) await closing.pop()!();
});

async function pipelineWith(name: string, env: Record<string, string>, simulator?: Simulator) {
  const pipeline: Pipeline = await startPipeline(name, {
    ...(simulator ? { OPENAI_BASE_URL: simulator.url } : {}),
    ...env,
  });
  closing.push(() => pipeline.close());
  return pipeline;
}

const lead = async (pipeline: Pipeline, token: string, id: string) =>
  (await pipeline.api.call("GET", `/leads/${id}`, { token })).json;

describe("provider flow control across workers", () => {
  it("two workers under one LLM_REQUESTS_PER_MINUTE never exceed it; the rest wait, visibly, with no attempt spent", async () => {
    const pipeline = await pipelineWith("rpm", { LLM_REQUESTS_PER_MINUTE: "6" });
    // A second worker process's worth of consumers on the same queues and the same shared budget.
    const second = startWorker(pipeline.config, createLogger({ level: "silent", name: "second-worker" }));
    closing.push(() => second.close());
    const { token } = await pipeline.api.signup();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(await pipeline.submit(token, sampleLead({ message: `Quote ${i} please` })));

    await waitFor(
      async () => (pipeline.simulator.stats().requests >= 6 ? true : undefined),
      10_000,
      "6 calls",
    );
    // Every workflow not done has had its next step turned away: nothing else can run before the minute frees.
    const waiting = await waitFor(
      async () => {
        const leads = await Promise.all(ids.map((id) => lead(pipeline, token, id)));
        const settled = leads.every((l) => l.workflow.status === "completed" || l.workflow.waiting);
        return settled && leads.some((l) => l.workflow.waiting) ? leads : undefined;
      },
      10_000,
      "every unfinished workflow to show it waits",
    );
    const stats = pipeline.simulator.stats();
    expect(stats.requests).toBe(6);
    expect(stats.peakRequestsPerMinute).toBe(6);

    const held = waiting.find((l) => l.workflow.waiting)!;
    expect(held.workflow.waiting).toEqual({ reason: "provider_rate_limit", until: expect.any(String) });
    const untilMs = Date.parse(held.workflow.waiting.until);
    expect(untilMs).toBeGreaterThan(Date.now() + 50_000);
    expect(untilMs).toBeLessThan(Date.now() + 125_000);
    // The waiting step made no call and spent no attempt: the attempt log matches the calls made.
    const attempts = await pipeline.attempts(token, held.id);
    const calls = held.workflow.steps.reduce((n: number, s: any) => n + s.attempts, 0);
    expect(attempts).toHaveLength(calls);
    const events = await pipeline.events(token, held.id);
    expect(events.filter((e: any) => e.type === "step_waiting")).toHaveLength(1);
  });

  it("a 429 with Retry-After pauses the next calls of other jobs, and the waiting clears when it is over", async () => {
    const calls: { message: string; at: number; fault: string | null }[] = [];
    const simulator = await startSimulator({ port: 0, onCall: (c) => calls.push(c) });
    closing.push(() => simulator.close());
    const pipeline = await pipelineWith("pause", {}, simulator);
    const { token } = await pipeline.api.signup();

    const first = await pipeline.submit(
      token,
      sampleLead({ message: "Quote A [[sim classify=http_429:2*1]]" }),
    );
    const limited = await waitFor(async () => calls.find((c) => c.fault === "http_429"), 10_000, "the 429");
    const other = await pipeline.submit(token, sampleLead({ message: "Quote B, another lead" }));
    const paused = await waitFor(
      async () => {
        const l = await lead(pipeline, token, other);
        return l.workflow.waiting ? l : undefined;
      },
      5_000,
      "the other lead to wait",
    );
    expect(paused.workflow.waiting.reason).toBe("provider_rate_limit");
    expect(Date.parse(paused.workflow.waiting.until)).toBeGreaterThanOrEqual(limited.at + 1_900);

    const done = await pipeline.waitForTerminal(token, other, 20_000);
    expect(done.workflow.status).toBe("completed");
    expect(done.workflow.waiting).toBeNull();
    expect((await pipeline.waitForTerminal(token, first, 20_000)).workflow.status).toBe("completed");
    const otherCalls = calls.filter((c) => c.message.startsWith("Quote B"));
    expect(otherCalls).toHaveLength(3);
    // Not one call of the other lead reached the provider inside the 2 s it asked for.
    expect(otherCalls[0]!.at).toBeGreaterThanOrEqual(limited.at + 1_950);
  });
});

describe("the per-user daily token budget", () => {
  it("holds a user's steps past it until the next UTC day, without failing them, and leaves other users alone", async () => {
    const pipeline = await pipelineWith("budget", { USER_DAILY_TOKEN_BUDGET: "300" });
    const spender = await pipeline.api.signup();
    const first = await pipeline.submit(spender.token, sampleLead({ message: "Quote for a patio clean" }));
    const held = await waitFor(
      async () => {
        const l = await lead(pipeline, spender.token, first);
        return l.workflow.waiting ? l : undefined;
      },
      10_000,
      "the workflow to wait for its budget",
    );
    expect(held.workflow.status).toBe("processing");
    expect(held.workflow.waiting.reason).toBe("user_budget");
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    const untilMs = Date.parse(held.workflow.waiting.until);
    expect(untilMs).toBeGreaterThanOrEqual(midnight.getTime());
    expect(untilMs).toBeLessThanOrEqual(midnight.getTime() + 60_000);
    // classify made its one call (which spent the budget); extract waits having made none.
    expect(held.workflow.steps.map((s: any) => [s.name, s.status, s.attempts])).toEqual([
      ["classify", "completed", 1],
      ["extract", "processing", 0],
      ["route", "not_started", 0],
    ]);

    const other = await pipeline.api.signup();
    const theirs = await pipeline.submit(other.token, sampleLead({ message: "Quote for a patio clean" }));
    const afterFirstStep = await waitFor(
      async () => {
        const l = await lead(pipeline, other.token, theirs);
        return l.workflow.steps[0].status === "completed" ? l : undefined;
      },
      10_000,
      "the other user's first step",
    );
    expect(afterFirstStep.workflow.steps[0].attempts).toBe(1);
  });
});
