import { CATEGORIES } from "../core/schemas/classification.ts";
import { type MetricComparison, meanFieldAccuracy } from "./baseline.ts";
import { FAILED } from "./metrics.ts";
import type { EvalReport } from "./run.ts";

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const numeric = (cell: string) => /^[-+$]?\d/.test(cell);
  const line = (r: string[], isHeader: boolean) =>
    r
      .map((cell, i) =>
        !isHeader && i > 0 && numeric(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!),
      )
      .join("  ")
      .trimEnd();
  return [
    line(header, true),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.slice(1).map((r) => line(r, false)),
  ].join("\n");
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The summary a person reads after a run: headline figures, per class, per field, and the confusion matrix. */
export function summary(report: EvalReport, simulated: boolean): string {
  const parts: string[] = [];
  parts.push(
    `model ${report.model} at ${report.base_url ?? "OpenAI"}; prompts ${Object.values(report.prompt_versions).join(", ")}`,
  );
  if (simulated) {
    parts.push(
      "NOTE: the model is the leadflow simulator, a deterministic test double built from keyword rules: these " +
        "figures measure the simulator and the pipeline, not an AI model.",
    );
  }
  parts.push(
    table(
      ["metric", "value"],
      [
        ["cases", report.n],
        ["failed", report.failed],
        ["category accuracy", pct(report.category.accuracy)],
        ["category macro-F1", report.category.macro_f1.toFixed(3)],
        ["queue accuracy", pct(report.queue.accuracy)],
        ["priority accuracy", pct(report.priority.accuracy)],
        ["field accuracy (mean)", pct(meanFieldAccuracy(report.fields))],
        ["invalid answers / calls", pct(report.invalid_rate)],
        ["re-asks / calls", pct(report.reask_rate)],
        ["latency p50 / p95", `${report.latency_ms.p50} / ${report.latency_ms.p95} ms`],
        ["tokens prompt / completion", `${report.tokens.prompt} / ${report.tokens.completion}`],
        ["cost", `$${report.cost_usd.toFixed(4)}`],
      ],
    ),
  );
  if (Object.keys(report.failures_by_code).length) {
    parts.push(
      table(
        ["failure code", "cases"],
        Object.entries(report.failures_by_code).map(([code, count]) => [code, count]),
      ),
    );
  }
  parts.push(
    table(
      ["category", "precision", "recall", "F1", "support"],
      Object.entries(report.category.per_class).map(([c, s]) => [
        c,
        s.precision.toFixed(3),
        s.recall.toFixed(3),
        s.f1.toFixed(3),
        s.support,
      ]),
    ),
  );
  parts.push(
    table(
      ["field", "accuracy", "labelled"],
      Object.entries(report.fields).map(([f, s]) => [f, pct(s.accuracy), s.n]),
    ),
  );
  parts.push(confusionTable(report.category.confusion));
  return parts.join("\n\n");
}

/** Rows are the expected category, columns the predicted one (and `failed`). */
export function confusionTable(confusion: Record<string, Record<string, number>>): string {
  const rows = confusionAxes(confusion);
  return `confusion (rows: expected, columns: predicted)\n${table(
    ["expected \\ predicted", ...rows.columns],
    rows.expected.map((e) => [e, ...rows.columns.map((p) => confusion[e]?.[p] ?? 0)]),
  )}`;
}

/** The categories in their fixed order, with `failed` as the last column only when a case failed. */
export function confusionAxes(confusion: Record<string, Record<string, number>>) {
  const predicted = new Set(Object.values(confusion).flatMap((row) => Object.keys(row)));
  const expected = CATEGORIES.filter((c) => confusion[c]);
  const columns: string[] = CATEGORIES.filter((c) => predicted.has(c) || confusion[c]);
  if (predicted.has(FAILED)) columns.push(FAILED);
  return { expected, columns };
}

export function baselineTable(rows: MetricComparison[], maxDrop: number): string {
  const show = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
  return `against the baseline (gate: category accuracy and macro-F1 may drop by at most ${maxDrop})\n${table(
    ["metric", "now", "baseline", "change", ""],
    rows.map((r) => {
      const delta = r.current - r.baseline;
      const worse = r.better === "higher" ? delta < 0 : delta > 0;
      const verdict = r.regressed ? "REGRESSED" : delta === 0 ? "" : worse ? "worse" : "better";
      return [r.metric, show(r.current), show(r.baseline), `${delta >= 0 ? "+" : ""}${show(delta)}`, verdict];
    }),
  )}`;
}
