import { CLASSIFY_PROMPT_VERSION } from "../core/steps/classify.ts";
import { EXTRACT_PROMPT_VERSION } from "../core/steps/extract.ts";
import { ROUTE_PROMPT_VERSION } from "../core/steps/route.ts";
import type { EvalCase } from "./dataset.ts";
import { type CaseOutcome, type Scores, score } from "./metrics.ts";
import { type CaseRunnerDeps, runCase } from "./run-case.ts";

/** The report `--out` writes: the contract of DESIGN.md "Evaluation", field for field. */
export interface EvalReport extends Scores {
  model: string;
  base_url: string | null;
  prompt_versions: { classify: string; extract: string; route: string };
  dataset: string;
}

export interface EvalRun {
  report: EvalReport;
  /** Every case's answers, for the HTML report's worst cases; not part of the JSON report. */
  outcomes: CaseOutcome[];
  wallMs: number;
}

export interface EvalOptions {
  cases: readonly EvalCase[];
  concurrency: number;
  dataset: string;
  baseURL: string | null;
  onCaseDone?: (outcome: CaseOutcome) => void;
}

/** Runs every case, at most `concurrency` at once, and scores them in the dataset's order. */
export async function runEvaluation(deps: CaseRunnerDeps, options: EvalOptions): Promise<EvalRun> {
  const started = performance.now();
  const outcomes: CaseOutcome[] = new Array(options.cases.length);
  let next = 0;
  const lane = async () => {
    while (next < options.cases.length) {
      const index = next++;
      const outcome = await runCase(deps, options.cases[index]!);
      outcomes[index] = outcome;
      options.onCaseDone?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.cases.length) }, lane));
  const wallMs = performance.now() - started;
  const answeredBy = outcomes.flatMap((o) => Object.values(o.outputs)).find(hasModel)?.model;
  return {
    report: {
      model: answeredBy ?? deps.llm.model,
      base_url: options.baseURL,
      prompt_versions: {
        classify: CLASSIFY_PROMPT_VERSION,
        extract: EXTRACT_PROMPT_VERSION,
        route: ROUTE_PROMPT_VERSION,
      },
      dataset: options.dataset,
      ...score(outcomes),
    },
    outcomes,
    wallMs,
  };
}

const hasModel = (output: unknown): output is { model: string } =>
  typeof (output as { model?: unknown } | null)?.model === "string";
