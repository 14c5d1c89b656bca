import { meanFieldAccuracy } from "./baseline.ts";
import type { EvalCase } from "./dataset.ts";
import { type CaseOutcome, fieldMatches } from "./metrics.ts";
import type { EvalReport } from "./run.ts";
import { confusionAxes } from "./terminal.ts";

/** Everything interpolated goes through this: the dataset holds injection attempts, answers may too. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const WORST_CASES_SHOWN = 30;

/** How wrong a case went, for ordering the worst first: failed, then wrong category, routing, fields. */
function badness(outcome: CaseOutcome): number {
  if (!outcome.predicted) return 1_000;
  let points = 0;
  if (outcome.predicted.category !== outcome.expected.category) {
    const confidence = (outcome.outputs.classify as { confidence?: number } | undefined)?.confidence ?? 0;
    points += 100 + confidence * 10; // a confident mistake is worse than a hesitant one
  }
  if (outcome.expected.queue && outcome.predicted.queue !== outcome.expected.queue) points += 10;
  if (outcome.expected.priority && !outcome.expected.priority.includes(outcome.predicted.priority as never))
    points += 10;
  for (const [field, value] of Object.entries(outcome.expected.fields ?? {})) {
    if (!fieldMatches(field, value, outcome.fields?.[field])) points += 1;
  }
  return points;
}

export function worstCases(outcomes: readonly CaseOutcome[], limit = WORST_CASES_SHOWN): CaseOutcome[] {
  return outcomes
    .map((o) => ({ o, points: badness(o) }))
    .filter(({ points }) => points > 0)
    .sort((a, b) => b.points - a.points)
    .slice(0, limit)
    .map(({ o }) => o);
}

/** A self-contained page (inline CSS, no script, nothing fetched): open it anywhere, attach it to a review. */
export function htmlReport(
  report: EvalReport,
  outcomes: readonly CaseOutcome[],
  leads: ReadonlyMap<string, EvalCase["lead"]>,
  simulated: boolean,
): string {
  const e = escapeHtml;
  const { expected, columns } = confusionAxes(report.category.confusion);
  const heat = expected
    .map((exp) => {
      const row = report.category.confusion[exp] ?? {};
      const total = Object.values(row).reduce((a, b) => a + b, 0);
      const cells = columns
        .map((p) => {
          const count = row[p] ?? 0;
          const share = total ? count / total : 0;
          const hue = p === exp ? 140 : 0; // green on the diagonal, red off it
          const style = count ? `background:hsl(${hue} 65% ${Math.round(97 - share * 50)}%)` : "";
          return `<td style="${style}" title="${e(`${count} of ${total} ${exp} predicted ${p}`)}">${count}</td>`;
        })
        .join("");
      return `<tr><th scope="row">${e(exp)}</th>${cells}</tr>`;
    })
    .join("\n");
  const perClass = Object.entries(report.category.per_class)
    .map(
      ([c, s]) =>
        `<tr><th scope="row">${e(c)}</th><td>${bar(s.precision)}</td><td>${bar(s.recall)}</td><td>${s.f1.toFixed(3)}</td><td>${s.support}</td></tr>`,
    )
    .join("\n");
  const fields = Object.entries(report.fields)
    .map(([f, s]) => `<tr><th scope="row">${e(f)}</th><td>${bar(s.accuracy)}</td><td>${s.n}</td></tr>`)
    .join("\n");
  const failures = Object.entries(report.failures_by_code)
    .map(([code, n]) => `<li>${e(code)}: ${n}</li>`)
    .join("");
  const worst = worstCases(outcomes)
    .map((o) => caseCard(o, leads.get(o.id)))
    .join("\n");
  const failedList = outcomes
    .filter((o) => o.error)
    .map(
      (o) =>
        `<li><code>${e(o.id)}</code> ${e(o.error!.step)}: ${e(o.error!.code)} (${e(o.error!.message)})</li>`,
    )
    .join("");

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leadflow evaluation: ${e(report.model)} on ${e(report.dataset)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:right}
th[scope=row],thead th{text-align:left;background:#f6f8fa}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:.6rem;border-radius:4px}
.bar{display:inline-block;height:.7rem;background:#0969da;vertical-align:middle;margin-right:.4rem}
.case{border:1px solid #d0d7de;border-radius:4px;padding:.6rem;margin:.6rem 0}
.case pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.5rem;margin:.3rem 0;max-height:14rem;overflow:auto}
.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}
</style>
</head>
<body>
<h1>leadflow evaluation</h1>
${simulated ? '<p class="note">The model is the <strong>leadflow simulator</strong>, a deterministic test double built from keyword rules: these figures measure the simulator and the pipeline, not an AI model.</p>' : ""}
<dl>
<dt>model</dt><dd>${e(report.model)}</dd>
<dt>endpoint</dt><dd>${e(report.base_url ?? "OpenAI")}</dd>
<dt>prompts</dt><dd>${e(Object.values(report.prompt_versions).join(", "))}</dd>
<dt>dataset</dt><dd>${e(report.dataset)} (${report.n} cases, ${report.failed} failed)</dd>
</dl>
<h2>Headline</h2>
<table>
<tr><th scope="row">category accuracy</th><td>${pct(report.category.accuracy)}</td></tr>
<tr><th scope="row">category macro-F1</th><td>${report.category.macro_f1.toFixed(3)}</td></tr>
<tr><th scope="row">queue accuracy</th><td>${pct(report.queue.accuracy)}</td></tr>
<tr><th scope="row">priority accuracy</th><td>${pct(report.priority.accuracy)}</td></tr>
<tr><th scope="row">field accuracy (mean)</th><td>${pct(meanFieldAccuracy(report.fields))}</td></tr>
<tr><th scope="row">invalid answers / re-asks per call</th><td>${pct(report.invalid_rate)} / ${pct(report.reask_rate)}</td></tr>
<tr><th scope="row">latency per call p50 / p95</th><td>${report.latency_ms.p50} / ${report.latency_ms.p95} ms</td></tr>
<tr><th scope="row">tokens prompt / completion</th><td>${report.tokens.prompt} / ${report.tokens.completion}</td></tr>
<tr><th scope="row">cost</th><td>$${report.cost_usd.toFixed(4)}</td></tr>
</table>
${failures ? `<p>Failures by code:</p><ul>${failures}</ul>` : ""}
<h2>Confusion matrix</h2>
<p>Rows: the expected category; columns: the predicted one. Shading is the share of the row.</p>
<table>
<thead><tr><th>expected \\ predicted</th>${columns.map((c) => `<th>${e(c)}</th>`).join("")}</tr></thead>
<tbody>
${heat}
</tbody>
</table>
<h2>Per class</h2>
<table>
<thead><tr><th>category</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead>
<tbody>
${perClass}
</tbody>
</table>
<h2>Per field</h2>
<p>Accuracy over the cases labelled with the field; a failed case counts as wrong.</p>
<table>
<thead><tr><th>field</th><th>accuracy</th><th>labelled</th></tr></thead>
<tbody>
${fields}
</tbody>
</table>
<h2>Failed cases</h2>
${failedList ? `<ul>${failedList}</ul>` : "<p>None.</p>"}
<h2>Worst cases</h2>
<p>Failed first, then confident category mistakes, then routing and field misses (at most ${WORST_CASES_SHOWN}).</p>
${worst || "<p>None: every case was right.</p>"}
</body>
</html>
`;
}

function bar(x: number): string {
  return `<span class="bar" style="width:${Math.round(x * 80)}px"></span>${(x * 100).toFixed(1)}%`;
}

function caseCard(o: CaseOutcome, lead: EvalCase["lead"] | undefined): string {
  const e = escapeHtml;
  const mark = (right: boolean) =>
    right ? '<span class="good">right</span>' : '<span class="bad">wrong</span>';
  const predicted = o.predicted;
  const lines = [
    `<div class="case"><strong><code>${e(o.id)}</code></strong> ${lead ? `· ${e(lead.contact_channel)} · ${e(lead.name)}` : ""}`,
    `<pre>${e(lead?.message ?? "")}</pre>`,
    "<dl>",
    `<dt>category</dt><dd>expected ${e(o.expected.category)}, got ${e(predicted?.category ?? "failed")} ${mark(predicted?.category === o.expected.category)}</dd>`,
  ];
  if (o.expected.queue)
    lines.push(
      `<dt>queue</dt><dd>expected ${e(o.expected.queue)}, got ${e(predicted?.queue ?? "-")} ${mark(predicted?.queue === o.expected.queue)}</dd>`,
    );
  if (o.expected.priority)
    lines.push(
      `<dt>priority</dt><dd>expected ${e(o.expected.priority.join(" or "))}, got ${e(predicted?.priority ?? "-")} ${mark(!!predicted && o.expected.priority.includes(predicted.priority as never))}</dd>`,
    );
  for (const [field, value] of Object.entries(o.expected.fields ?? {})) {
    const got = o.fields?.[field];
    if (!fieldMatches(field, value, got))
      lines.push(
        `<dt>${e(field)}</dt><dd>expected ${e(JSON.stringify(value))}, got ${e(JSON.stringify(got ?? null))}</dd>`,
      );
  }
  if (o.error)
    lines.push(`<dt>error</dt><dd>${e(o.error.step)}: ${e(o.error.code)}: ${e(o.error.message)}</dd>`);
  lines.push("</dl>");
  for (const [step, output] of Object.entries(o.outputs)) {
    lines.push(
      `<details><summary>${e(step)} answer</summary><pre>${e(JSON.stringify(output, null, 2))}</pre></details>`,
    );
  }
  lines.push("</div>");
  return lines.join("\n");
}
