import { classification } from "@leadflow/core/schemas/classification";
import { extractionFor } from "@leadflow/core/schemas/extraction";
import { routing } from "@leadflow/core/schemas/routing";
import { describe, expect, it } from "vitest";
import {
  createFaultMix,
  DirectiveError,
  directiveCovers,
  directiveFault,
  faultReply,
  parseDirective,
  type ReplyContext,
  stripDirectives,
} from "./faults.ts";

describe("parseDirective", () => {
  it("reads per-step sequences, counts, a Retry-After argument, `all` and a delay", () => {
    expect(
      parseDirective("Quote? [[sim classify=http_500*2,bad_enum extract=http_429:3*1 all=empty delay=300]]"),
    ).toEqual({
      faults: {
        classify: [
          { fault: { kind: "http_500" }, times: 2 },
          { fault: { kind: "bad_enum" }, times: null },
        ],
        extract: [{ fault: { kind: "http_429", retryAfterSeconds: 3 }, times: 1 }],
        all: [{ fault: { kind: "empty" }, times: null }],
      },
      delayMs: 300,
      obey: false,
    });
  });

  it("reads `obey`, alone or beside faults", () => {
    expect(parseDirective("Route me to sales [[sim obey]]")).toEqual({ faults: {}, delayMs: 0, obey: true });
    expect(parseDirective("[[sim classify=http_500*1 obey]]")?.obey).toBe(true);
  });

  it("is null for a message without a directive", () => {
    expect(parseDirective("Just a normal [message] with [[brackets]]")).toBeNull();
  });

  it.each([
    ["an unknown fault", "[[sim classify=http_999]]"],
    ["an unknown step", "[[sim verify=http_500]]"],
    ["an argument on a fault that takes none", "[[sim route=http_500:3]]"],
    ["a delay that is not a number", "[[sim delay=soon]]"],
  ])("refuses %s loudly, so a test never runs without the fault it asked for", (_label, message) => {
    expect(() => parseDirective(message)).toThrow(DirectiveError);
  });
});

describe("directiveFault", () => {
  const directive = parseDirective("[[sim classify=http_500*2,bad_enum*1 all=http_503*1 route=truncated]]")!;

  it("walks the sequence call by call, then answers normally", () => {
    const kinds = [1, 2, 3, 4, 5].map((n) => directiveFault(directive, "classify", n)?.kind ?? null);
    expect(kinds).toEqual(["http_500", "http_500", "bad_enum", null, null]);
  });

  it("uses `all` for a step without its own entry, and a step's own entry over `all`", () => {
    expect([1, 2].map((n) => directiveFault(directive, "extract", n)?.kind ?? null)).toEqual([
      "http_503",
      null,
    ]);
    expect([1, 2, 50].map((n) => directiveFault(directive, "route", n)?.kind)).toEqual([
      "truncated",
      "truncated",
      "truncated",
    ]);
    expect(directiveCovers(directive, "extract")).toBe(true);
    expect(directiveCovers(parseDirective("[[sim classify=empty]]"), "route")).toBe(false);
  });
});

it("stripDirectives leaves the lead's own words", () => {
  expect(stripDirectives("Need a  quote [[sim classify=http_500]] for Friday")).toBe(
    "Need a quote for Friday",
  );
});

describe("createFaultMix", () => {
  it("replays the same faults from the same seed and follows the rates", () => {
    const draw = (seed: number) => {
      const mix = createFaultMix({ http_500: 0.3, bad_enum: 0.2 }, seed, 1);
      return Array.from({ length: 2000 }, () => mix.pick()?.kind ?? "none");
    };
    const first = draw(7);
    expect(draw(7)).toEqual(first);
    expect(draw(8)).not.toEqual(first);
    const share = (kind: string) => first.filter((k) => k === kind).length / first.length;
    expect(share("http_500")).toBeGreaterThan(0.25);
    expect(share("http_500")).toBeLessThan(0.35);
    expect(share("bad_enum")).toBeGreaterThan(0.15);
    expect(share("bad_enum")).toBeLessThan(0.25);
  });

  it("never faults without rates", () => {
    const mix = createFaultMix({}, 1, 1);
    expect(Array.from({ length: 100 }, () => mix.pick())).toEqual(Array(100).fill(null));
  });
});

describe("faultReply breaks a valid answer in exactly the promised way", () => {
  const answers = {
    classify: { category: "support", confidence: 0.8, rationale: "[simulated] x" },
    extract: {
      extracted_fields: {
        customer_name: null,
        contact_channel: "email",
        service_interest: null,
        location: null,
        urgency: "low",
        timeline: "unknown",
        budget_range: "unknown",
        language: "en",
        issue_type: "other",
        severity: "low",
      },
      confidence: 0.6,
    },
    route: {
      routing_decision: {
        queue: "support",
        priority: "p2",
        sla_minutes: 1440,
        recommended_next_action: "[simulated] x",
        required_followups: [],
        explanation: "[simulated] x",
      },
    },
  } as const;
  const schemas = { classify: classification, extract: extractionFor("support"), route: routing };
  const kinds = ["wrong_types", "bad_enum", "missing_fields", "extra_fields", "out_of_range"] as const;

  for (const step of ["classify", "extract", "route"] as const) {
    it.each(kinds)(`${step}: %s fails the schema, and the untouched answer passes`, (kind) => {
      const context: ReplyContext = {
        step,
        answer: structuredClone(answers[step]),
        bearer: null,
        defaultRetryAfterSeconds: 1,
      };
      expect(schemas[step].safeParse(answers[step]).success).toBe(true);
      const reply = faultReply({ kind }, context);
      if (reply.type !== "completion") throw new Error("expected a completion");
      expect(schemas[step].safeParse(JSON.parse(reply.content!)).success).toBe(false);
      // The original answer object is not mutated.
      expect(context.answer).toEqual(answers[step]);
    });
  }

  it("http_429 sends Retry-After from the fault, else the default", () => {
    const context: ReplyContext = { step: "classify", answer: {}, bearer: null, defaultRetryAfterSeconds: 4 };
    expect(faultReply({ kind: "http_429", retryAfterSeconds: 2 }, context)).toMatchObject({
      status: 429,
      headers: { "retry-after": "2" },
    });
    expect(faultReply({ kind: "http_429" }, context)).toMatchObject({
      status: 429,
      headers: { "retry-after": "4" },
    });
  });
});
