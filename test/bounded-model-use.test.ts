import { Writable } from "node:stream";
import { loadConfig } from "@leadflow/core/config";
import { createLogger } from "@leadflow/core/logger";
import { STEP_NAMES, type StepName } from "@leadflow/core/schemas/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker } from "../functions/worker/worker.ts";
import { sampleLead, startTestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";

// STEP_MAX_ATTEMPTS 3 and STEP_MAX_REASKS 2 come from the pipeline: an invalid answer every time is 3 calls,
// a transient failure every time is 3 deliveries of 1 call, a permanent one is 1 call.
const MAX_STORED = 8192;
const PRICE_IN = 1.5;
const PRICE_OUT = 6;

let pipeline: Pipeline;
let token: string;
beforeAll(async () => {
  pipeline = await startPipeline("bounded", {
    LLM_MAX_STORED_ANSWER_BYTES: String(MAX_STORED),
    LLM_PRICE_INPUT_PER_MTOK: String(PRICE_IN),
    LLM_PRICE_OUTPUT_PER_MTOK: String(PRICE_OUT),
    WORKFLOW_MAX_RUNS: "2",
    // The huge answers report about 500k tokens each: a daily budget would hold this suite's user back.
    USER_DAILY_TOKEN_BUDGET: "0",
  });
  token = (await pipeline.api.signup()).token;
});
afterAll(() => pipeline.close());

const stepOf = (lead: any, name: StepName) => lead.workflow.steps.find((s: any) => s.name === name);

/** Every step of a finished workflow is settled: none is left processing for the reconciler to hand out. */
function expectSettled(lead: any) {
  for (const step of lead.workflow.steps) expect(["completed", "failed", "skipped"]).toContain(step.status);
}

describe("each new fault, at each step, ends its workflow within its bound and with its code", () => {
  const cases: [string, string, number][] = [
    // [fault, code the step fails with when every call has it, calls it makes]
    ["nul_string", "AI_SCHEMA_MISMATCH", 3],
    ["lone_surrogate", "AI_SCHEMA_MISMATCH", 3],
    ["huge_answer", "AI_SCHEMA_MISMATCH", 3],
    ["whitespace_flood", "LLM_TRUNCATED", 3],
    ["html_200", "LLM_UNAVAILABLE", 3],
    ["empty_choices", "LLM_UNAVAILABLE", 3],
    ["no_message", "LLM_UNAVAILABLE", 3],
    ["insufficient_quota", "LLM_BAD_REQUEST", 1],
  ];
  for (const step of STEP_NAMES) {
    it.each(cases)(
      `${step}: %s on every call fails the step as %s after %i calls`,
      async (fault, code, calls) => {
        const id = await pipeline.submit(
          token,
          sampleLead({ message: `Quote for gutter cleaning, ${step} ${fault} [[sim ${step}=${fault}]]` }),
        );
        const lead = await pipeline.waitForTerminal(token, id);
        expect(lead.workflow.status).toBe("failed");
        expect(lead.workflow.error).toMatchObject({ code, details: { step } });
        expectSettled(lead);
        const failed = stepOf(lead, step);
        expect(failed).toMatchObject({ status: "failed", attempts: calls, error: { code } });
        const attempts = (await pipeline.attempts(token, id)).filter((a: any) => a.step === step);
        expect(attempts).toHaveLength(calls);
        for (const a of attempts) {
          expect(Buffer.byteLength(a.raw_response ?? "")).toBeLessThanOrEqual(MAX_STORED);
          expect(Buffer.byteLength(JSON.stringify(a.validation_errors ?? []))).toBeLessThanOrEqual(
            MAX_STORED + 64,
          );
        }
      },
    );

    it(`${step}: a hostile answer once, then a good one, completes`, async () => {
      const id = await pipeline.submit(
        token,
        sampleLead({ message: `Quote for a lawn, ${step} [[sim ${step}=nul_string*1]]` }),
      );
      const lead = await pipeline.waitForTerminal(token, id);
      expect(lead.workflow.status).toBe("completed");
      expect(stepOf(lead, step).attempts).toBe(2);
    });
  }

  it("keeps a 2 MB answer's attempt to the cap, marked as cut, and the lead's pages small", async () => {
    const id = await pipeline.submit(
      token,
      sampleLead({ message: "Quote please [[sim classify=huge_answer]]" }),
    );
    const lead = await pipeline.waitForTerminal(token, id);
    const attempts = await pipeline.attempts(token, id);
    expect(attempts[0].raw_response).toMatch(/ \[…cut: \d{7} bytes in all\]$/);
    expect(
      Buffer.byteLength(JSON.stringify(lead)) + Buffer.byteLength(JSON.stringify(attempts)),
    ).toBeLessThan(4 * MAX_STORED);
  });

  it("a re-ask quotes at most 4 KiB of the rejected answer (the 2 MB answer would be a 413 otherwise)", async () => {
    // The simulator refuses request bodies over 1 MB: quoting the 2 MB answer whole would fail the re-ask.
    const id = await pipeline.submit(
      token,
      sampleLead({ message: "Quote please [[sim classify=huge_answer*1]]" }),
    );
    const lead = await pipeline.waitForTerminal(token, id);
    expect(lead.workflow.status).toBe("completed");
    expect(stepOf(lead, "classify").attempts).toBe(2);
  });
});

describe("the output ceiling", () => {
  it("is on every request the simulator received", async () => {
    const id = await pipeline.submit(token, sampleLead());
    await pipeline.waitForTerminal(token, id);
    const stats = pipeline.simulator.stats();
    expect(stats.requests).toBeGreaterThan(0);
    expect(stats.byOutputCeiling.none).toBe(0);
    expect(stats.byOutputCeiling.max_completion_tokens).toBe(stats.requests);
  });
});

describe("retries are bounded", () => {
  it("answers 409 retry_limit once the workflow has run WORKFLOW_MAX_RUNS times", async () => {
    const id = await pipeline.submit(token, sampleLead({ message: "Hello [[sim classify=http_400]]" }));
    expect((await pipeline.waitForTerminal(token, id)).workflow.status).toBe("failed");
    const first = await pipeline.api.call("POST", `/leads/${id}/retry`, { token });
    expect(first.status).toBe(202);
    expect((await pipeline.waitForTerminal(token, id)).workflow.status).toBe("failed");
    const second = await pipeline.api.call("POST", `/leads/${id}/retry`, { token });
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe("retry_limit");
    const events = await pipeline.events(token, id);
    expect(events.filter((e: any) => e.type === "resumed")).toHaveLength(1);
  });
});

describe("the retry rate limit", () => {
  it("counts POST /leads/:id/retry per user, apart from submissions, and answers 429 with Retry-After", async () => {
    const api = await startTestApi({
      LEADS_RATE_LIMIT: "3",
      REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-retrylimit`,
    });
    try {
      const { token: own } = await api.signup();
      const other = await api.signup();
      const id = (await api.call("POST", "/leads", { token: own, body: sampleLead() })).json.id;
      // Not failed (no worker runs here), so each answer is 409; each still counts.
      for (let i = 0; i < 3; i++) {
        expect((await api.call("POST", `/leads/${id}/retry`, { token: own })).status).toBe(409);
      }
      const limited = await api.call("POST", `/leads/${id}/retry`, { token: own });
      expect(limited.status).toBe(429);
      expect(limited.json.error.code).toBe("rate_limited");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      // Submissions have their own budget, and another user is not limited by this one.
      expect((await api.call("POST", "/leads", { token: own, body: sampleLead() })).status).toBe(202);
      expect((await api.call("POST", `/leads/${id}/retry`, { token: other.token })).status).toBe(404);
    } finally {
      await api.close();
    }
  });
});

describe("cost", () => {
  it("prices every attempt, and the workflow's and the period's totals add up", async () => {
    const { token: own } = await pipeline.api.signup();
    const ids = [
      await pipeline.submit(own, sampleLead({ message: "Quote for a fence [[sim extract=bad_enum*1]]" })),
      await pipeline.submit(own, sampleLead({ message: "Window cleaning price?" })),
    ];
    let prompt = 0;
    let completion = 0;
    let cost = 0;
    for (const id of ids) {
      const lead = await pipeline.waitForTerminal(own, id);
      const attempts = await pipeline.attempts(own, id);
      let leadCost = 0;
      for (const a of attempts) {
        expect(a.tokens.prompt).toBeGreaterThan(0);
        expect(a.cost_usd).toBeCloseTo(
          (a.tokens.prompt * PRICE_IN + a.tokens.completion * PRICE_OUT) / 1e6,
          10,
        );
        leadCost += a.cost_usd;
        prompt += a.tokens.prompt;
        completion += a.tokens.completion;
      }
      expect(lead.workflow.cost_usd).toBeCloseTo(leadCost, 10);
      expect(lead.workflow.tokens).toEqual({
        prompt: attempts.reduce((n: number, a: any) => n + a.tokens.prompt, 0),
        completion: attempts.reduce((n: number, a: any) => n + a.tokens.completion, 0),
      });
      cost += leadCost;
    }
    const stats = await pipeline.api.call("GET", "/stats?period=24h", { token: own });
    expect(stats.json.tokens).toEqual({ prompt, completion });
    expect(stats.json.cost_usd).toBeCloseTo(cost, 8);
  });
});

describe("a refused write after the claim", () => {
  it("fails the step with INTERNAL and its reason, and logs no query text or parameter", async () => {
    const lines: string[] = [];
    const capture = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    const env = {
      REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-refused`,
      LLM_PROVIDER: "simulator",
      OPENAI_BASE_URL: pipeline.simulator.url,
      STEP_BACKOFF_BASE_MS: "20",
    };
    // Its own API and worker on their own queues, so this worker (whose log is captured) takes the step.
    const api = await startTestApi(env);
    const worker = startWorker(
      loadConfig({ ...process.env, NODE_ENV: "test", ...env }),
      createLogger({ level: "info", name: "refused-write-worker" }, capture),
    );
    const pool = api.deps.database.pool;
    // A test-only trigger standing in for any write PostgreSQL refuses: a value it cannot store, a constraint.
    // It refuses the completion of any step of a lead named "Refusable Rita", and adds no table to the database.
    await pool.query(`
      create or replace function refuse_marked_write() returns trigger language plpgsql as $$
      begin
        if new.status = 'completed' and exists (
          select 1 from workflows w join leads l on l.id = w.lead_id
           where w.id = new.workflow_id and l.name = 'Refusable Rita') then
          raise exception 'refused by the test trigger' using errcode = '23514';
        end if;
        return new;
      end $$;
      drop trigger if exists refuse_marked_write on workflow_steps;
      create trigger refuse_marked_write before update on workflow_steps
        for each row execute function refuse_marked_write();`);
    try {
      const { token: own } = await api.signup();
      const secret = "Secret-Lead-Text-4f1c: please quote a loft conversion";
      const submitted = await api.call("POST", "/leads", {
        token: own,
        body: sampleLead({ name: "Refusable Rita", message: secret }),
      });
      const id = submitted.json.id as string;
      const lead = await waitForTerminal(api, own, id);
      expect(lead.workflow.status).toBe("failed");
      expectSettled(lead);
      expect(stepOf(lead, "classify").error).toEqual({
        code: "INTERNAL",
        message: "The step's result could not be saved: PostgreSQL refused the write (SQLSTATE 23514).",
        retryable: false,
      });
      // The model call that could not be completed is still recorded.
      const attempts = (await api.call("GET", `/leads/${id}/attempts`, { token: own })).json.items;
      expect(attempts.map((a: any) => [a.step, a.outcome])).toEqual([["classify", "failed"]]);

      const logged = lines.join("\n");
      expect(logged).toContain("step failed unexpectedly after its claim");
      expect(logged).toContain('"code":"23514"');
      expect(logged).not.toContain("Failed query:");
      expect(logged).not.toContain("Secret-Lead-Text-4f1c");
      expect(logged).not.toContain("Refusable Rita");
      expect(logged).not.toMatch(/update workflow_steps/i);
    } finally {
      await pool.query("drop trigger if exists refuse_marked_write on workflow_steps");
      await pool.query("drop function if exists refuse_marked_write()");
      await worker.close();
      await api.close();
    }
  });
});

async function waitForTerminal(api: Awaited<ReturnType<typeof startTestApi>>, token: string, id: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const lead = (await api.call("GET", `/leads/${id}`, { token })).json;
    if (["completed", "failed"].includes(lead.workflow.status)) return lead;
    if (Date.now() > deadline) throw new Error(`lead ${id} still ${lead.workflow.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
