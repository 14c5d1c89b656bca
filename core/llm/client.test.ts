import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Simulator, startSimulator } from "../../functions/simulator/server.ts";
import { type Classification, classification } from "../schemas/classification.ts";
import { type Extraction, extractionFor } from "../schemas/extraction.ts";
import { routing } from "../schemas/routing.ts";
import { dataBlock, leadBlock } from "../steps/prompt.ts";
import { createLlmClient } from "./client.ts";
import { parseRetryAfter } from "./failure.ts";
import type { LlmClient, StructuredRequest, StructuredResult } from "./types.ts";

const API_KEY = "sk-test-9f8e7d6c5b4a3210-do-not-log";
const CONFIGURED_MODEL = "gpt-test";

let simulator: Simulator;
let client: LlmClient;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  client = createLlmClient({
    baseURL: simulator.url,
    apiKey: API_KEY,
    model: CONFIGURED_MODEL,
    timeoutMs: 5000,
  });
});
afterAll(() => simulator.close());

/** A prompt shaped like the real steps': the lead as a data block, earlier outputs as another. */
function stepRequest<T>(
  schemaName: "classify" | "extract" | "route",
  schema: z.ZodType<T>,
  message: string,
  previous?: Record<string, unknown>,
): StructuredRequest<T> {
  const lead = {
    name: "Maria Silva",
    contact_channel: "whatsapp" as const,
    contact: "+351 900 000 000",
    message,
  };
  const blocks = [leadBlock(lead), ...(previous ? [dataBlock("previous_steps", previous)] : [])];
  return {
    schemaName,
    schema,
    messages: [
      { role: "system", content: `You run the ${schemaName} step of lead triage.` },
      { role: "user", content: blocks.join("\n\n") },
    ],
  };
}

const classify = (message: string) => client.structured(stepRequest("classify", classification, message));

function expectError<T>(result: StructuredResult<T>, code: string, retryable: boolean) {
  expect(result.outcome).toBe("error");
  if (result.outcome !== "error") throw new Error("unreachable");
  expect(result.error.code).toBe(code);
  expect(result.error.retryable).toBe(retryable);
  return result;
}

function expectInvalid<T>(result: StructuredResult<T>, code: string) {
  expect(result.outcome).toBe("invalid");
  if (result.outcome !== "invalid") throw new Error("unreachable");
  expect(result.error.code).toBe(code);
  expect(result.error.retryable).toBe(false);
  expect(result.validationErrors.length).toBeGreaterThan(0);
  // The model did answer, so the record names the simulator's model, not the configured one.
  expect(result.call.model).toBe("leadflow-simulator");
  return result;
}

describe("happy path, one call per step", () => {
  const message = "Hi, how much for a deep cleaning of our office in Lisbon on 2026-03-14? Budget is $3,000.";
  // Each case makes the calls before its own, so it passes or fails alone, in any order or filtered by -t.
  async function classified(): Promise<Classification> {
    const result = await classify(message);
    if (result.outcome !== "ok") throw new Error(`classify did not answer: ${result.outcome}`);
    return result.value;
  }
  async function extracted(category: Classification): Promise<Extraction> {
    const result = await client.structured(
      stepRequest("extract", extractionFor(category.category), message, { classify: category }),
    );
    if (result.outcome !== "ok") throw new Error(`extract did not answer: ${result.outcome}`);
    return result.value;
  }

  it("classifies", async () => {
    const result = await classify(message);
    expect(result.outcome).toBe("ok");
    if (result.outcome !== "ok") return;
    expect(result.value.category).toBe("sales_new");
    expect(result.value.rationale.startsWith("[simulated] ")).toBe(true);
    expect(result.repaired).toBeNull();
    expect(result.call.model).toBe("leadflow-simulator");
    expect(result.call.rawResponse).toBe(JSON.stringify(result.value));
    expect(result.call.tokens).toEqual({
      prompt: expect.any(Number),
      completion: expect.any(Number),
      total: result.call.tokens!.prompt + result.call.tokens!.completion,
    });
    expect(result.call.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("extracts the category's fields", async () => {
    const category = await classified();
    const schema = extractionFor(category.category);
    const result = await client.structured(stepRequest("extract", schema, message, { classify: category }));
    expect(result.outcome).toBe("ok");
    if (result.outcome !== "ok") return;
    expect(result.value.extracted_fields).toMatchObject({
      customer_name: "Maria Silva",
      contact_channel: "whatsapp",
      location: "Lisbon",
      budget_range: "2000-10000",
      lead_type: "pricing",
      service_date: "2026-03-14",
    });
  });

  it("routes", async () => {
    const category = await classified();
    const fields = await extracted(category);
    const result = await client.structured(
      stepRequest("route", routing, message, { classify: category, extract: fields }),
    );
    expect(result.outcome).toBe("ok");
    if (result.outcome !== "ok") return;
    const decision = result.value.routing_decision;
    expect(decision.queue).toBe("sales");
    expect(decision.recommended_next_action.startsWith("[simulated] ")).toBe(true);
    expect(decision.explanation.startsWith("[simulated] ")).toBe(true);
  });

  it("answers the same message the same way twice", async () => {
    const first = await classify("Is the moving van available this Saturday in Porto?");
    const second = await classify("Is the moving van available this Saturday in Porto?");
    expect(first.outcome).toBe("ok");
    expect(second.call.rawResponse).toBe(first.call.rawResponse);
    expect(second.outcome === "ok" && second.value).toEqual(first.outcome === "ok" && first.value);
  });
});

describe("every fault kind maps to its outcome and code", () => {
  it.each([
    ["http_500", "LLM_UNAVAILABLE"],
    ["http_503", "LLM_UNAVAILABLE"],
    ["http_429", "LLM_RATE_LIMITED"],
  ])("%s is a retryable %s", async (fault, code) => {
    const result = expectError(await classify(`Need a quote [[sim classify=${fault}]]`), code, true);
    expect(result.call.model).toBe(CONFIGURED_MODEL);
    expect(result.call.tokens).toBeNull();
    expect(result.call.rawResponse).toContain("[simulated]");
  });

  it("http_401 is a permanent LLM_AUTH, and the echoed key never reaches the record", async () => {
    const result = expectError(await classify("Need a quote [[sim classify=http_401]]"), "LLM_AUTH", false);
    expect(result.retryAfterMs).toBeNull();
    expect(result.call.rawResponse).toContain("Incorrect API key provided: [redacted]");
    expect(JSON.stringify(result)).not.toContain(API_KEY);
  });

  it("http_400 is a permanent LLM_BAD_REQUEST", async () => {
    const result = expectError(
      await classify("Need a quote [[sim classify=http_400]]"),
      "LLM_BAD_REQUEST",
      false,
    );
    expect(result.error.message).toBe("The model server rejected the request (HTTP 400).");
  });

  it("hang ends as a retryable LLM_TIMEOUT once the client gives up", async () => {
    const impatient = createLlmClient({
      baseURL: simulator.url,
      apiKey: API_KEY,
      model: CONFIGURED_MODEL,
      timeoutMs: 300,
    });
    const started = Date.now();
    const result = expectError(
      await impatient.structured(stepRequest("classify", classification, "Hello [[sim classify=hang]]")),
      "LLM_TIMEOUT",
      true,
    );
    expect(result.error.message).toBe("The model did not answer within 300 ms.");
    expect(result.call.latencyMs).toBeGreaterThanOrEqual(280);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("invalid_json is AI_INVALID_JSON with the raw answer kept", async () => {
    const result = expectInvalid(
      await classify("Need a quote [[sim classify=invalid_json]]"),
      "AI_INVALID_JSON",
    );
    expect(result.call.rawResponse).toMatch(/^Sure! Here is the classify result:/);
    expect(result.validationErrors[0]).toMatch(/^\(root\): the answer is not valid JSON/);
  });

  it("empty is AI_INVALID_JSON", async () => {
    const result = expectInvalid(await classify("Need a quote [[sim classify=empty]]"), "AI_INVALID_JSON");
    expect(result.validationErrors).toEqual(["(root): the answer is empty"]);
    expect(result.call.rawResponse).toBe("");
  });

  it("fenced_json passes after unwrapping and records the repair", async () => {
    const result = await classify("Need a quote for painting [[sim classify=fenced_json]]");
    expect(result.outcome).toBe("ok");
    if (result.outcome !== "ok") return;
    expect(result.repaired).toBe("markdown_fence");
    expect(result.value.category).toBe("sales_new");
    expect(result.call.rawResponse?.startsWith("```json\n")).toBe(true);
  });

  it.each([
    ["wrong_types", "confidence: Invalid input: expected number, received string"],
    [
      "bad_enum",
      'category: Invalid option: expected one of "sales_new"|"sales_existing"|"support"|"spam"|"unknown"',
    ],
    ["missing_fields", "rationale: Invalid input: expected string, received undefined"],
    ["extra_fields", '(root): Unrecognized key: "sentiment"'],
    ["out_of_range", "confidence: Too big: expected number to be <=1"],
  ])("%s is AI_SCHEMA_MISMATCH naming the field", async (fault, expected) => {
    const result = expectInvalid(
      await classify(`Need a quote [[sim classify=${fault}]]`),
      "AI_SCHEMA_MISMATCH",
    );
    expect(result.validationErrors).toEqual([expected]);
  });

  it("schema faults on the route step name the nested field", async () => {
    const badEnum = expectInvalid(
      await client.structured(stepRequest("route", routing, "Need a quote [[sim route=bad_enum]]")),
      "AI_SCHEMA_MISMATCH",
    );
    expect(badEnum.validationErrors).toEqual([
      'routing_decision.priority: Invalid option: expected one of "p0"|"p1"|"p2"',
    ]);
    const negativeSla = expectInvalid(
      await client.structured(stepRequest("route", routing, "Need a quote [[sim route=out_of_range]]")),
      "AI_SCHEMA_MISMATCH",
    );
    expect(negativeSla.validationErrors).toEqual([
      "routing_decision.sla_minutes: Too small: expected number to be >=1",
    ]);
  });

  it("refusal is a re-askable LLM_REFUSAL carrying the refusal text", async () => {
    const result = expectInvalid(await classify("Need a quote [[sim classify=refusal]]"), "LLM_REFUSAL");
    expect(result.call.rawResponse).toBe("I'm sorry, but I can't help with that request.");
    expect(result.validationErrors[0]).toContain("the model refused");
  });

  it("truncated is LLM_TRUNCATED with the cut-off text kept", async () => {
    const result = expectInvalid(await classify("Need a quote [[sim classify=truncated]]"), "LLM_TRUNCATED");
    expect(result.call.rawResponse?.startsWith('{"category":')).toBe(true);
    expect(() => JSON.parse(result.call.rawResponse ?? "")).toThrow();
  });
});

describe("hostile and broken providers", () => {
  it.each([
    ["nul_string", "U+0000"],
    ["lone_surrogate", "unpaired surrogate"],
  ])("%s: a string PostgreSQL cannot store is AI_SCHEMA_MISMATCH, at every step", async (fault) => {
    const cases = [
      ["classify", classification, "rationale"],
      ["extract", extractionFor("sales_new"), "extracted_fields.customer_name"],
      ["route", routing, "routing_decision.explanation"],
    ] as const;
    for (const [step, schema, field] of cases) {
      const result = expectInvalid(
        await client.structured(
          stepRequest(step, schema as z.ZodType, `Quote please [[sim ${step}=${fault}]]`),
        ),
        "AI_SCHEMA_MISMATCH",
      );
      expect(result.validationErrors).toEqual([`${field}: must not contain U+0000 or an unpaired surrogate`]);
      // The attempt log keeps the answer as sent, written storably.
      expect(result.call.rawResponse).toMatch(/ok\\u(0000|d800)then/);
    }
  });

  it("huge_answer is refused and stored cut to the configured size, the cut marked", async () => {
    const small = createLlmClient({
      baseURL: simulator.url,
      apiKey: API_KEY,
      model: CONFIGURED_MODEL,
      timeoutMs: 5000,
      maxStoredAnswerBytes: 4096,
    });
    const result = expectInvalid(
      await small.structured(stepRequest("classify", classification, "Hi [[sim classify=huge_answer]]")),
      "AI_SCHEMA_MISMATCH",
    );
    const raw = result.call.rawResponse ?? "";
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(4096);
    expect(raw).toMatch(/ \[…cut: \d{7} bytes in all\]$/);
    expect(result.validationErrors).toEqual(["rationale: Too big: expected string to have <=600 characters"]);
  });

  it("whitespace_flood ending at the token limit is a re-askable LLM_TRUNCATED", async () => {
    const result = expectInvalid(await classify("Hi [[sim classify=whitespace_flood]]"), "LLM_TRUNCATED");
    expect(Buffer.byteLength(result.call.rawResponse ?? "")).toBeLessThanOrEqual(32_768);
  });

  it.each([
    ["html_200", "an HTML or XML page"],
    ["empty_choices", "an empty choices list"],
    ["no_message", "a choice without a message"],
  ])("%s is a retryable LLM_UNAVAILABLE that says what came back", async (fault, what) => {
    const result = expectError(await classify(`Hi [[sim classify=${fault}]]`), "LLM_UNAVAILABLE", true);
    expect(result.error.message).toBe(
      `The model server answered HTTP 200 with ${what}, not a chat completion; check OPENAI_BASE_URL ` +
        "(an OpenAI-compatible server's URL usually ends in /v1).",
    );
    // What came back is kept for the attempt log: the page, or the JSON that was not a completion.
    expect(result.call.rawResponse).toMatch(/\[simulated\]|"model":"leadflow-simulator"/);
  });

  it("insufficient_quota is a permanent LLM_BAD_REQUEST, not a rate limit", async () => {
    const result = expectError(
      await classify("Hi [[sim classify=insufficient_quota]]"),
      "LLM_BAD_REQUEST",
      false,
    );
    expect(result.error.message).toMatch(/quota is used up \(HTTP 429 insufficient_quota\)/);
    expect(result.retryAfterMs).toBeNull();
  });

  it("sends the output ceiling on every call, under the configured parameter name", async () => {
    const before = simulator.stats().byOutputCeiling;
    await classify("Quote for a deep clean");
    const legacy = createLlmClient({
      baseURL: simulator.url,
      apiKey: API_KEY,
      model: CONFIGURED_MODEL,
      timeoutMs: 5000,
      maxOutputTokens: 256,
      maxTokensParam: "max_tokens",
    });
    await legacy.structured(stepRequest("classify", classification, "Quote for a deep clean"));
    const after = simulator.stats().byOutputCeiling;
    expect(after.max_completion_tokens - before.max_completion_tokens).toBe(1);
    expect(after.max_tokens - before.max_tokens).toBe(1);
    expect(after.none).toBe(0);
  });
});

describe("rate limits", () => {
  it("reads Retry-After from a 429: one second by default, or what the directive says", async () => {
    expect(
      expectError(await classify("Price? [[sim classify=http_429]]"), "LLM_RATE_LIMITED", true).retryAfterMs,
    ).toBe(1000);
    expect(
      expectError(await classify("Price? [[sim classify=http_429:7]]"), "LLM_RATE_LIMITED", true)
        .retryAfterMs,
    ).toBe(7000);
  });

  it("parses retry-after-ms, delta seconds and HTTP dates", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter(new Headers({ "retry-after-ms": "1500", "retry-after": "9" }), now)).toBe(1500);
    expect(parseRetryAfter(new Headers({ "retry-after": "2" }), now)).toBe(2000);
    expect(parseRetryAfter(new Headers({ "retry-after": "0.5" }), now)).toBe(500);
    expect(parseRetryAfter(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }), now)).toBe(
      30_000,
    );
    expect(parseRetryAfter(new Headers({ "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" }), now)).toBe(0);
    expect(parseRetryAfter(new Headers({ "retry-after": "soon" }), now)).toBeNull();
    expect(parseRetryAfter(new Headers(), now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe("directives count calls per message and step", () => {
  it("`*2` fails the first two calls and answers the rest", async () => {
    const message = "Can I get a quote for roof repair? [[sim classify=http_500*2]]";
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const result = await classify(message);
      outcomes.push(result.outcome === "error" ? result.error.code : result.outcome);
    }
    expect(outcomes).toEqual(["LLM_UNAVAILABLE", "LLM_UNAVAILABLE", "ok", "ok"]);
  });

  it("a sequence walks fault by fault; `all=` covers the steps that have no entry of their own", async () => {
    const message =
      "Quote for moving please [[sim classify=http_429*1,bad_enum*1 all=http_503*1 route=empty]]";
    const codes = async (step: "classify" | "extract" | "route", schema: z.ZodType<unknown>, n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const result = await client.structured(stepRequest(step, schema, message));
        out.push(result.outcome === "ok" ? "ok" : result.error.code);
      }
      return out;
    };
    expect(await codes("classify", classification, 3)).toEqual([
      "LLM_RATE_LIMITED",
      "AI_SCHEMA_MISMATCH",
      "ok",
    ]);
    expect(await codes("extract", extractionFor("sales_new"), 2)).toEqual(["LLM_UNAVAILABLE", "ok"]);
    expect(await codes("route", routing, 2)).toEqual(["AI_INVALID_JSON", "AI_INVALID_JSON"]);
  });

  it("a `delay=` directive slows the answer down", async () => {
    const result = await classify("Need a quote for plumbing [[sim delay=250]]");
    expect(result.outcome).toBe("ok");
    expect(result.call.latencyMs).toBeGreaterThanOrEqual(240);
  });
});

describe("failures outside the model's answer", () => {
  it("an unreachable server is a retryable LLM_UNAVAILABLE", async () => {
    const gone = await startSimulator({ port: 0 });
    await gone.close();
    const offline = createLlmClient({
      baseURL: gone.url,
      apiKey: API_KEY,
      model: CONFIGURED_MODEL,
      timeoutMs: 2000,
    });
    const result = expectError(
      await offline.structured(stepRequest("classify", classification, "Hi")),
      "LLM_UNAVAILABLE",
      true,
    );
    expect(result.error.message).toBe("The model server could not be reached.");
  });

  it("a wrong base URL (404) is a permanent LLM_BAD_REQUEST with the body excerpt kept", async () => {
    const wrong = createLlmClient({
      baseURL: simulator.url.replace(/\/v1$/, "/v2"),
      apiKey: API_KEY,
      model: CONFIGURED_MODEL,
      timeoutMs: 2000,
    });
    const result = expectError(
      await wrong.structured(stepRequest("classify", classification, "Hi")),
      "LLM_BAD_REQUEST",
      false,
    );
    expect(result.call.rawResponse).toContain("No route for POST /v2/chat/completions");
    expect(result.call.rawResponse!.length).toBeLessThanOrEqual(2000);
  });

  it("anything unexpected is a non-retryable INTERNAL with a plain sentence, the cause handed to the hook", async () => {
    const causes: unknown[] = [];
    const hooked = createLlmClient({
      baseURL: simulator.url,
      apiKey: API_KEY,
      model: CONFIGURED_MODEL,
      timeoutMs: 2000,
      onUnexpectedError: (error) => causes.push(error),
    });
    // A schema that cannot become a JSON schema fails before any request is sent.
    const unrepresentable = z.strictObject({ at: z.date() });
    const result = expectError(
      await hooked.structured({
        schemaName: "classify",
        schema: unrepresentable,
        messages: [{ role: "user", content: "Hi" }],
      }),
      "INTERNAL",
      false,
    );
    expect(result.error.message).toBe("An unexpected error occurred while calling the model.");
    expect(result.error.message).not.toMatch(/\n\s+at /);
    expect(causes).toHaveLength(1);
    expect(String(causes[0])).toContain("Date cannot be represented");
  });
});
