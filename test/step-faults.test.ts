import { STEP_NAMES, type StepName } from "@leadflow/core/schemas/workflow";
import { afterAll, beforeAll, describe, it } from "vitest";
import { sampleLead } from "./support/api.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";

// Every fault the simulator can make of a step's model call, at each of the three steps: what a step does with
// a failure is the runner's (core/workflow/run-step.ts), not the step's, so a fault at extract or route must end
// exactly as it does at classify. (The hostile-provider faults are in bounded-model-use.test.ts.)
let pipeline: Pipeline;
let token: string;
beforeAll(async () => {
  pipeline = await startPipeline("step-faults");
  token = (await pipeline.api.signup()).token;
});
afterAll(() => pipeline.close());

// STEP_MAX_ATTEMPTS=3 and STEP_MAX_REASKS=2 in startPipeline: transient faults make 3 deliveries, invalid
// answers 1 call + 2 re-asks, permanent faults stop after 1 call.
const FAULTS: [fault: string, code: string, calls: number, retry: "backoff" | "reask" | null][] = [
  ["http_500", "LLM_UNAVAILABLE", 3, "backoff"],
  ["http_503", "LLM_UNAVAILABLE", 3, "backoff"],
  ["http_429:0", "LLM_RATE_LIMITED", 3, "backoff"],
  ["hang", "LLM_TIMEOUT", 3, "backoff"],
  ["http_401", "LLM_AUTH", 1, null],
  ["http_400", "LLM_BAD_REQUEST", 1, null],
  ["invalid_json", "AI_INVALID_JSON", 3, "reask"],
  ["empty", "AI_INVALID_JSON", 3, "reask"],
  ["wrong_types", "AI_SCHEMA_MISMATCH", 3, "reask"],
  ["bad_enum", "AI_SCHEMA_MISMATCH", 3, "reask"],
  ["missing_fields", "AI_SCHEMA_MISMATCH", 3, "reask"],
  ["extra_fields", "AI_SCHEMA_MISMATCH", 3, "reask"],
  ["out_of_range", "AI_SCHEMA_MISMATCH", 3, "reask"],
  ["refusal", "LLM_REFUSAL", 3, "reask"],
  ["truncated", "LLM_TRUNCATED", 3, "reask"],
];

const byName = (lead: any) =>
  Object.fromEntries(lead.workflow.steps.map((s: any) => [s.name, s])) as Record<StepName, any>;

describe.each(STEP_NAMES)("a fault at %s", (step) => {
  const before = STEP_NAMES.slice(0, STEP_NAMES.indexOf(step));
  const after = STEP_NAMES.slice(STEP_NAMES.indexOf(step) + 1);

  // Concurrent: the worker runs several workflows at once, and each case waits mostly on backoffs and timeouts.
  it.concurrent.for(FAULTS)(
    `%s on every call fails ${step} with %s after %i model calls, keeping what came before`,
    async ([fault, code, calls, retry], { expect }) => {
      const id = await pipeline.submit(
        token,
        sampleLead({ message: `Quote for a garden makeover please [[sim ${step}=${fault}]]` }),
      );
      const lead = await pipeline.waitForTerminal(token, id);
      const steps = byName(lead);
      expect(lead.workflow.status).toBe("failed");
      expect(lead.workflow.error).toMatchObject({ code, details: { step } });
      for (const earlier of before)
        expect(steps[earlier]).toMatchObject({ status: "completed", attempts: 1 });
      for (const earlier of before) expect(steps[earlier].output).not.toBeNull();
      expect(steps[step]).toMatchObject({ status: "failed", attempts: calls, output: null });
      expect(steps[step].error).toMatchObject({ code, message: expect.any(String) });
      expect(steps[step].error.message).not.toMatch(/\n\s+at /);
      for (const later of after) expect(steps[later].status).toBe("skipped");

      const attempts = (await pipeline.attempts(token, id)).filter((a: any) => a.step === step);
      expect(attempts).toHaveLength(calls);
      expect(attempts.map((a: any) => a.error?.code)).toEqual(Array(calls).fill(code));
      if (code.startsWith("AI_")) expect(attempts[0].validation_errors.length).toBeGreaterThan(0);
      const retried = (await pipeline.events(token, id)).filter(
        (e: any) => e.type === "step_retried" && e.step === step,
      );
      expect(retried.map((e: any) => e.detail.kind)).toEqual(Array(calls - 1).fill(retry));
    },
  );

  it(`unwraps a markdown-fenced ${step} answer once, validates it, and records the repair`, async ({
    expect,
  }) => {
    const id = await pipeline.submit(
      token,
      sampleLead({ message: `Price for a boiler service? [[sim ${step}=fenced_json]]` }),
    );
    const lead = await pipeline.waitForTerminal(token, id);
    expect(lead.workflow.status).toBe("completed");
    const [first] = (await pipeline.attempts(token, id)).filter((a: any) => a.step === step);
    expect(first).toMatchObject({ step, outcome: "succeeded", repaired: "markdown_fence" });
    expect(first.raw_response).toMatch(/^```/);
  });
});
