import { describe, expect, it } from "vitest";
import type { EvalCase } from "./dataset.ts";
import { type CaseOutcome, fieldMatches, score } from "./metrics.ts";

const usage = (calls: number, invalid = 0, reasks = 0, latency = 100) => ({
  calls,
  invalid,
  reasks,
  prompt: 10 * calls,
  completion: 2 * calls,
  costUsd: 0.001 * calls,
  latencies: Array.from({ length: calls }, (_, i) => latency + i),
});

function outcome(
  id: string,
  expected: EvalCase["expected"],
  predicted: { category: string; queue: string; priority: string } | null,
  fields: Record<string, unknown> | null = null,
  calls = 3,
): CaseOutcome {
  return {
    id,
    expected,
    predicted,
    fields,
    error: predicted ? null : { step: "classify", code: "AI_SCHEMA_MISMATCH", message: "bad answer" },
    usage: usage(calls, predicted ? 0 : calls, predicted ? 0 : calls - 1),
    outputs: {},
  };
}

/**
 * Five cases, figures worked out by hand:
 *   a: sales_new  -> sales_new   (queue sales ok, priority p2 in [p2])
 *   b: sales_new  -> support     (queue support vs sales wrong; priority p1 in [p1,p2] ok)
 *   c: support    -> support     (queue ok; priority p2 not in [p0])
 *   d: support    -> failed      (queue, priority, fields all wrong)
 *   e: spam       -> sales_new   (queue ignore vs sales wrong; no priority label)
 * category accuracy 2/5 = 0.4
 * sales_new: tp 1, predicted 2, support 2 -> P 0.5, R 0.5, F1 0.5
 * support:   tp 1, predicted 2 (b, c), support 2 -> P 0.5, R 0.5, F1 0.5
 * spam:      tp 0, predicted 0, support 1 -> P 0, R 0, F1 0
 * macro-F1 (0.5 + 0.5 + 0) / 3 = 0.3333
 * queue 2/5 = 0.4; priority over the 4 labelled: a, b right = 0.5
 * language: a right, b wrong ("fr" vs "en"), d failed -> 1/3; account_hint: c right ("Booking #4411" = "#4411") -> 1/1
 */
const cases: CaseOutcome[] = [
  outcome(
    "a",
    { category: "sales_new", queue: "sales", priority: ["p2"], fields: { language: "en" } },
    { category: "sales_new", queue: "sales", priority: "p2" },
    { language: "en" },
  ),
  outcome(
    "b",
    { category: "sales_new", queue: "sales", priority: ["p1", "p2"], fields: { language: "en" } },
    { category: "support", queue: "support", priority: "p1" },
    { language: "fr" },
  ),
  outcome(
    "c",
    { category: "support", queue: "support", priority: ["p0"], fields: { account_hint: "#4411" } },
    { category: "support", queue: "support", priority: "p2" },
    { account_hint: "Booking #4411" },
  ),
  outcome(
    "d",
    { category: "support", queue: "support", priority: ["p1"], fields: { language: "de" } },
    null,
    null,
    3,
  ),
  outcome(
    "e",
    { category: "spam", queue: "ignore" },
    { category: "sales_new", queue: "sales", priority: "p2" },
  ),
];

describe("score", () => {
  const s = score(cases);

  it("counts cases and failures", () => {
    expect(s.n).toBe(5);
    expect(s.failed).toBe(1);
    expect(s.failures_by_code).toEqual({ AI_SCHEMA_MISMATCH: 1 });
  });

  it("scores category accuracy with a failed case counted wrong", () => {
    expect(s.category.accuracy).toBe(0.4);
  });

  it("scores per-class precision, recall and F1, and their macro mean", () => {
    expect(s.category.per_class).toEqual({
      sales_new: { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      support: { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      spam: { precision: 0, recall: 0, f1: 0, support: 1 },
    });
    expect(s.category.macro_f1).toBe(0.3333);
  });

  it("builds the confusion matrix, failed cases under 'failed'", () => {
    expect(s.category.confusion).toEqual({
      sales_new: { sales_new: 1, support: 1 },
      support: { support: 1, failed: 1 },
      spam: { sales_new: 1 },
    });
  });

  it("scores queue and priority over the cases labelled with them", () => {
    expect(s.queue).toEqual({ accuracy: 0.4 });
    expect(s.priority).toEqual({ accuracy: 0.5 });
  });

  it("scores each labelled field, failed cases counted wrong", () => {
    expect(s.fields).toEqual({
      account_hint: { accuracy: 1, n: 1 },
      language: { accuracy: 0.3333, n: 3 },
    });
  });

  it("rates invalid answers and re-asks over every call, and sums tokens and cost", () => {
    // 15 calls; the failed case made 3 invalid answers and 2 re-asks.
    expect(s.invalid_rate).toBe(0.2);
    expect(s.reask_rate).toBe(0.1333);
    expect(s.tokens).toEqual({ prompt: 150, completion: 30 });
    expect(s.cost_usd).toBe(0.015);
    // Latencies 100, 101, 102 five times: nearest-rank p50 is 101, p95 is 102.
    expect(s.latency_ms).toEqual({ p50: 101, p95: 102 });
  });

  it("lists every case, the failed one with its error and no prediction", () => {
    expect(s.cases.map((c) => [c.id, c.ok])).toEqual([
      ["a", true],
      ["b", false],
      ["c", true],
      ["d", false],
      ["e", false],
    ]);
    expect(s.cases[3]).toMatchObject({ predicted: null, error: { code: "AI_SCHEMA_MISMATCH" } });
  });
});

describe("fieldMatches", () => {
  it("compares free text without case or surrounding punctuation", () => {
    expect(fieldMatches("location", "Leeds LS6", "leeds  ls6.")).toBe(true);
    expect(fieldMatches("location", "Leeds", "York")).toBe(false);
  });

  it("compares a reference without the word before it", () => {
    expect(fieldMatches("account_hint", "BK-7731", "ref: bk-7731")).toBe(true);
    expect(fieldMatches("account_hint", "5512", "order no. 5512")).toBe(true);
    expect(fieldMatches("account_hint", "5512", "5513")).toBe(false);
  });

  it("compares missing_info as a set, and a null answer is never right", () => {
    expect(fieldMatches("missing_info", ["timeline", "service_type"], ["service_type", "timeline"])).toBe(
      true,
    );
    expect(fieldMatches("missing_info", ["timeline"], ["timeline", "budget"])).toBe(false);
    expect(fieldMatches("urgency", "high", null)).toBe(false);
  });
});
