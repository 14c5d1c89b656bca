/**
 * `npm run eval -- [--dataset FILE] [--limit N] [--concurrency C] [--out FILE.json] [--html FILE.html]
 * [--baseline OLD.json] [--max-drop 0.02]`: runs the worker's own steps over a labelled set against the configured
 * model and scores the answers. Exit 0: done (and no regression); 1: category accuracy or macro-F1 fell by more
 * than --max-drop against --baseline; 2: the command could not run (bad flag, dataset, baseline or configuration).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { Presets, SingleBar } from "cli-progress";
import { loadConfig } from "../core/config.ts";
import { createLlmClientFromConfig } from "../core/llm/client.ts";
import { memoryProviderFlow } from "../core/llm/flow/memory.ts";
import { stepRunnerSettings } from "../core/workflow/settings.ts";
import { compareWithBaseline, loadBaseline } from "../eval/baseline.ts";
import { loadDataset } from "../eval/dataset.ts";
import { htmlReport } from "../eval/html.ts";
import { runEvaluation } from "../eval/run.ts";
import { baselineTable, summary } from "../eval/terminal.ts";
import { runCli } from "./support/cli.ts";
import { withModelEndpoint } from "./support/model-endpoint.ts";

const USAGE =
  "usage: npm run eval -- [--dataset FILE] [--limit N] [--concurrency C] [--out FILE.json] [--html FILE.html] " +
  "[--baseline OLD.json] [--max-drop 0.02]";

class UsageError extends Error {}

function options() {
  const { values } = parseArgs({
    options: {
      dataset: { type: "string", default: "eval/datasets/leads-v1.jsonl" },
      limit: { type: "string" },
      concurrency: { type: "string", default: "4" },
      out: { type: "string" },
      html: { type: "string" },
      baseline: { type: "string" },
      "max-drop": { type: "string", default: "0.02" },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const count = (flag: string, raw: string | undefined, min: number) => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`--${flag} must be an integer of at least ${min}`);
    return n;
  };
  const maxDrop = Number(values["max-drop"]);
  if (!Number.isFinite(maxDrop) || maxDrop < 0 || maxDrop > 1)
    throw new UsageError("--max-drop must be a number from 0 to 1");
  return {
    help: values.help,
    dataset: values.dataset,
    limit: count("limit", values.limit, 1),
    concurrency: count("concurrency", values.concurrency, 1)!,
    out: values.out,
    html: values.html,
    baseline: values.baseline,
    maxDrop,
  };
}

async function writeOut(file: string, text: string) {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

async function main(): Promise<number> {
  let flags: ReturnType<typeof options>;
  try {
    flags = options();
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig(process.env, { tokens: false, model: true });
  const all = await loadDataset(flags.dataset);
  const cases = flags.limit ? all.slice(0, flags.limit) : all;
  const baseline = flags.baseline ? await loadBaseline(flags.baseline) : null;

  return withModelEndpoint(config, async (endpoint) => {
    const llm = createLlmClientFromConfig({ llm: { ...config.llm, baseURL: endpoint.baseURL } });
    const flow = memoryProviderFlow({
      requestsPerMinute: config.llm.requestsPerMinute,
      tokensPerMinute: config.llm.tokensPerMinute,
    });
    console.error(
      `evaluating ${cases.length} cases of ${flags.dataset} against ${config.llm.model} at ${endpoint.baseURL ?? "OpenAI"}` +
        (endpoint.simulated ? " (the leadflow simulator: a test double, not an AI model)" : "") +
        `, ${flags.concurrency} at a time`,
    );
    const bar = new SingleBar(
      {
        format:
          "eval [{bar}] {value}/{total} cases | {failed} failed | {duration_formatted} elapsed, ETA {eta_formatted}",
        stream: process.stderr,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    let failed = 0;
    bar.start(cases.length, 0, { failed });
    const run = await runEvaluation(
      { llm, flow, settings: stepRunnerSettings(config) },
      {
        cases,
        concurrency: flags.concurrency,
        dataset: flags.dataset,
        baseURL: endpoint.baseURL ?? null,
        onCaseDone: (outcome) => {
          if (outcome.error) failed++;
          bar.increment(1, { failed });
        },
      },
    );
    bar.stop();

    console.log(summary(run.report, endpoint.simulated));
    console.log(`\nwall time ${(run.wallMs / 1000).toFixed(1)} s for ${cases.length} cases`);
    if (flags.out) {
      await writeOut(flags.out, `${JSON.stringify(run.report, null, 2)}\n`);
      console.log(`report written to ${flags.out}`);
    }
    if (flags.html) {
      const leads = new Map(cases.map((c) => [c.id, c.lead]));
      await writeOut(flags.html, htmlReport(run.report, run.outcomes, leads, endpoint.simulated));
      console.log(`HTML report written to ${flags.html}`);
    }
    if (baseline) {
      const comparison = compareWithBaseline(run.report, baseline, flags.maxDrop);
      console.log(`\n${baselineTable(comparison.rows, flags.maxDrop)}`);
      if (comparison.regressed) {
        console.log(`\nREGRESSION: category accuracy or macro-F1 fell by more than ${flags.maxDrop}.`);
        return 1;
      }
    }
    return 0;
  });
}

runCli(main);
