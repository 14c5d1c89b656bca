import { CATEGORIES } from "../core/schemas/classification.ts";
import type { EvalCase } from "./dataset.ts";

/** Every model call one case made, re-asks and transient retries included. */
export interface CaseUsage {
  calls: number;
  invalid: number;
  reasks: number;
  prompt: number;
  completion: number;
  costUsd: number;
  latencies: number[];
}

export interface Predicted {
  category: string;
  queue: string;
  priority: string;
}

/** What running one case produced: its three answers, or the step error that ended it. */
export interface CaseOutcome {
  id: string;
  expected: EvalCase["expected"];
  /** null when a step failed for good. */
  predicted: Predicted | null;
  /** The extracted fields, null when the case failed before extract finished. */
  fields: Record<string, unknown> | null;
  error: { step: string; code: string; message: string } | null;
  usage: CaseUsage;
  /** The step outputs as the worker would persist them (for the HTML report). */
  outputs: Partial<Record<string, unknown>>;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** The predicted key under which a failed case appears in the confusion matrix. */
export const FAILED = "failed";

export interface Scores {
  n: number;
  failed: number;
  category: {
    accuracy: number;
    macro_f1: number;
    per_class: Record<string, ClassScores>;
    confusion: Record<string, Record<string, number>>;
  };
  queue: { accuracy: number };
  priority: { accuracy: number };
  fields: Record<string, { accuracy: number; n: number }>;
  invalid_rate: number;
  reask_rate: number;
  failures_by_code: Record<string, number>;
  latency_ms: { p50: number; p95: number };
  tokens: { prompt: number; completion: number };
  cost_usd: number;
  cases: {
    id: string;
    ok: boolean;
    predicted: Predicted | null;
    expected: EvalCase["expected"];
    error: CaseOutcome["error"];
  }[];
}

const ratio = (hits: number, total: number) => (total === 0 ? 0 : hits / total);
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** Scores a run: every figure is over all cases, a failed case counting as wrong everywhere it carries a label. */
export function score(outcomes: readonly CaseOutcome[]): Scores {
  const n = outcomes.length;
  const failed = outcomes.filter((o) => o.predicted === null).length;
  const calls = sum(outcomes, (o) => o.usage.calls);
  return {
    n,
    failed,
    category: categoryScores(outcomes),
    queue: labelAccuracy(outcomes, (o) =>
      o.expected.queue === undefined ? undefined : o.predicted?.queue === o.expected.queue,
    ),
    priority: labelAccuracy(outcomes, (o) =>
      o.expected.priority === undefined
        ? undefined
        : o.predicted !== null && o.expected.priority.includes(o.predicted.priority as never),
    ),
    fields: fieldScores(outcomes),
    invalid_rate: round4(
      ratio(
        sum(outcomes, (o) => o.usage.invalid),
        calls,
      ),
    ),
    reask_rate: round4(
      ratio(
        sum(outcomes, (o) => o.usage.reasks),
        calls,
      ),
    ),
    failures_by_code: countBy(outcomes.flatMap((o) => (o.error ? [o.error.code] : []))),
    latency_ms: latencyPercentiles(outcomes.flatMap((o) => o.usage.latencies)),
    tokens: {
      prompt: sum(outcomes, (o) => o.usage.prompt),
      completion: sum(outcomes, (o) => o.usage.completion),
    },
    cost_usd: Math.round(sum(outcomes, (o) => o.usage.costUsd) * 1e6) / 1e6,
    cases: outcomes.map((o) => ({
      id: o.id,
      ok: o.predicted?.category === o.expected.category,
      predicted: o.predicted,
      expected: o.expected,
      error: o.error,
    })),
  };
}

function categoryScores(outcomes: readonly CaseOutcome[]): Scores["category"] {
  const confusion: Record<string, Record<string, number>> = {};
  for (const o of outcomes) {
    confusion[o.expected.category] ??= {};
    const row = confusion[o.expected.category]!;
    const predicted = o.predicted?.category ?? FAILED;
    row[predicted] = (row[predicted] ?? 0) + 1;
  }
  // Classes that were expected or predicted: a category the set never uses and the model never says has no F1.
  const classes = CATEGORIES.filter(
    (c) => confusion[c] !== undefined || outcomes.some((o) => o.predicted?.category === c),
  );
  const per_class: Record<string, ClassScores> = {};
  for (const c of classes) {
    const truePositives = confusion[c]?.[c] ?? 0;
    const support = Object.values(confusion[c] ?? {}).reduce((a, b) => a + b, 0);
    const predictedAs = outcomes.filter((o) => o.predicted?.category === c).length;
    const precision = ratio(truePositives, predictedAs);
    const recall = ratio(truePositives, support);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    per_class[c] = { precision: round4(precision), recall: round4(recall), f1: round4(f1), support };
  }
  const correct = outcomes.filter((o) => o.predicted?.category === o.expected.category).length;
  const f1s = Object.values(per_class).map((s) => s.f1);
  return {
    accuracy: round4(ratio(correct, outcomes.length)),
    macro_f1: round4(
      ratio(
        f1s.reduce((a, b) => a + b, 0),
        f1s.length,
      ),
    ),
    per_class,
    confusion,
  };
}

/** Accuracy over the cases that carry the label (`judge` answers undefined for the others). */
function labelAccuracy(outcomes: readonly CaseOutcome[], judge: (o: CaseOutcome) => boolean | undefined) {
  const verdicts = outcomes.map(judge).filter((v) => v !== undefined);
  return { accuracy: round4(ratio(verdicts.filter(Boolean).length, verdicts.length)) };
}

function fieldScores(outcomes: readonly CaseOutcome[]): Scores["fields"] {
  const tally: Record<string, { right: number; n: number }> = {};
  for (const o of outcomes) {
    for (const [field, expected] of Object.entries(o.expected.fields ?? {})) {
      tally[field] ??= { right: 0, n: 0 };
      const t = tally[field]!;
      t.n++;
      if (o.fields && fieldMatches(field, expected, o.fields[field])) t.right++;
    }
  }
  return Object.fromEntries(
    Object.entries(tally)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([field, t]) => [field, { accuracy: round4(ratio(t.right, t.n)), n: t.n }]),
  );
}

/** The words a reference is written after ("booking #4411", "ref: BK-7731"): the label keeps the identifier only. */
const REFERENCE_WORDS =
  /^(booking|order|account|acct|reservation|invoice|ref(erence)?|contract|job|plan|member(ship)?|customer|policy|ticket|case)\b\s*(number|no\.?|nr\.?|id)?\s*[:.]?\s*/i;

const normalText = (value: string) =>
  value
    .normalize("NFC")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/^[\s"'“”.,;:!?]+|[\s"'“”.,;:!?]+$/g, "");

/**
 * Whether a predicted field value is the labelled one: enums and dates exactly; free text case- and
 * space-insensitively; a reference without its leading word or `#`; `missing_info` as a set.
 */
export function fieldMatches(field: string, expected: unknown, predicted: unknown): boolean {
  if (predicted === null || predicted === undefined) return false;
  if (Array.isArray(expected)) {
    if (!Array.isArray(predicted)) return false;
    const want = new Set(expected.map(String));
    const got = new Set(predicted.map(String));
    return want.size === got.size && [...want].every((v) => got.has(v));
  }
  if (typeof expected !== "string" || typeof predicted !== "string") return expected === predicted;
  if (field === "account_hint") {
    const reference = (v: string) => normalText(v).replace(REFERENCE_WORDS, "").replace(/^#\s*/, "");
    return reference(expected) === reference(predicted);
  }
  return normalText(expected) === normalText(predicted);
}

/** Nearest-rank percentiles of the per-call latencies. */
function latencyPercentiles(latencies: number[]): { p50: number; p95: number } {
  if (latencies.length === 0) return { p50: 0, p95: 0 };
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95) };
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}

function countBy(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}
