import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { EvalReport } from "./run.ts";

/** The part of an earlier report a comparison reads; anything else in the file is ignored. */
const baselineReport = z.object({
  model: z.string(),
  prompt_versions: z.object({ classify: z.string(), extract: z.string(), route: z.string() }),
  n: z.number(),
  failed: z.number(),
  category: z.object({ accuracy: z.number(), macro_f1: z.number() }),
  queue: z.object({ accuracy: z.number() }),
  priority: z.object({ accuracy: z.number() }),
  fields: z.record(z.string(), z.object({ accuracy: z.number(), n: z.number() })),
  invalid_rate: z.number(),
  reask_rate: z.number(),
  latency_ms: z.object({ p50: z.number(), p95: z.number() }),
  tokens: z.object({ prompt: z.number(), completion: z.number() }),
  cost_usd: z.number(),
});
export type BaselineReport = z.infer<typeof baselineReport>;

export async function loadBaseline(file: string): Promise<BaselineReport> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new Error(`The baseline ${file} could not be read as JSON: ${(err as Error).message}`);
  }
  const parsed = baselineReport.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`The baseline ${file} is not an evaluation report: ${problems}`);
  }
  return parsed.data;
}

export interface MetricComparison {
  metric: string;
  current: number;
  baseline: number;
  /** Higher is better for accuracies; lower for rates, latency, tokens and cost. */
  better: "higher" | "lower";
  /** This metric gates the run: a drop of more than max-drop fails it. */
  gated: boolean;
  regressed: boolean;
}

/** Average of the per-field accuracies: one figure for "are the extracted fields right". */
export function meanFieldAccuracy(fields: Record<string, { accuracy: number }>): number {
  const values = Object.values(fields).map((f) => f.accuracy);
  return values.length
    ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10_000) / 10_000
    : 0;
}

/**
 * Each metric beside the baseline's. Only category accuracy and macro-F1 gate (a drop of more than `maxDrop`,
 * an absolute difference of the 0-1 figures); the rest are shown so a reader sees what else moved.
 */
export function compareWithBaseline(
  current: EvalReport,
  baseline: BaselineReport,
  maxDrop: number,
): { rows: MetricComparison[]; regressed: boolean } {
  const row = (
    metric: string,
    now: number,
    before: number,
    better: "higher" | "lower",
    gated = false,
  ): MetricComparison => ({
    metric,
    current: now,
    baseline: before,
    better,
    gated,
    // A tiny epsilon: 0.9 - 0.88 is 0.020000000000000018 in floating point, which is not "more than 0.02".
    regressed: gated && before - now > maxDrop + 1e-9,
  });
  const rows = [
    row("category accuracy", current.category.accuracy, baseline.category.accuracy, "higher", true),
    row("category macro-F1", current.category.macro_f1, baseline.category.macro_f1, "higher", true),
    row("queue accuracy", current.queue.accuracy, baseline.queue.accuracy, "higher"),
    row("priority accuracy", current.priority.accuracy, baseline.priority.accuracy, "higher"),
    row(
      "field accuracy (mean)",
      meanFieldAccuracy(current.fields),
      meanFieldAccuracy(baseline.fields),
      "higher",
    ),
    row("failed cases", current.failed, baseline.failed, "lower"),
    row("invalid rate", current.invalid_rate, baseline.invalid_rate, "lower"),
    row("re-ask rate", current.reask_rate, baseline.reask_rate, "lower"),
    row("latency p50 ms", current.latency_ms.p50, baseline.latency_ms.p50, "lower"),
    row("latency p95 ms", current.latency_ms.p95, baseline.latency_ms.p95, "lower"),
    row("prompt tokens", current.tokens.prompt, baseline.tokens.prompt, "lower"),
    row("completion tokens", current.tokens.completion, baseline.tokens.completion, "lower"),
    row("cost USD", current.cost_usd, baseline.cost_usd, "lower"),
  ];
  return { rows, regressed: rows.some((r) => r.regressed) };
}
