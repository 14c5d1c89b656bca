/** The goals, judged on what the runs measured, the last tables, and the JSON line with every figure. */
import { loadavg } from "node:os";
import { STEP_NAMES, type StepName } from "@leadflow/core/schemas/workflow";
import type { profileSteps } from "../support/profile.ts";
import { fmt, round, table, verdict } from "../support/stats.ts";
import type { AnchorResult } from "./anchor.ts";
import type { PipelineResult, Quantiles } from "./figures.ts";
import {
  GOALS,
  LATENCY_CONCURRENCY,
  LATENCY_LEADS,
  LATENCY_MS,
  POOL_SIZE,
  TIMEOUT_MS,
  WORKER_PROCESSES,
} from "./settings.ts";

const log = (line = "") => process.stdout.write(`${line}\n`);

/** Everything the bench measured, as the report reads it. */
export interface BenchRuns {
  startedAt: number;
  throughput: PipelineResult[];
  anchors: AnchorResult[];
  skipped: number[];
  best: PipelineResult;
  bestAnchor: AnchorResult | null;
  paced: PipelineResult;
  pacedRate: number;
  profile: Awaited<ReturnType<typeof profileSteps>>;
  latency: PipelineResult;
}

export type BenchOutcome = ReturnType<typeof judge>;

/** Each goal met, missed, or null when not measured (the run had no time); and what was lost or cut short. */
export function judge(runs: BenchRuns) {
  const { throughput, best, paced, latency } = runs;
  const idealMs = Math.ceil(LATENCY_LEADS / LATENCY_CONCURRENCY) * LATENCY_MS + 2 * LATENCY_MS;
  // Cut short, the time so far is a lower bound on the run's time.
  const latencyRatio = (latency.cutShort ? latency.elapsedMs : latency.spanMs) / idealMs;
  const all = [...throughput, paced, latency];
  // Lost: a workflow failed, or never ended although the run had time; cut short: the budget ran out.
  const lost = all.filter((r) => r.status.failed > 0 || (!r.cutShort && r.status.completed !== r.leads));
  const cutShort = all.filter((r) => r.cutShort);
  const waitPass = (q: Record<StepName, Quantiles>) =>
    STEP_NAMES.every((s) => (q[s].p50 ?? Infinity) <= GOALS.queueWaitP50Ms);
  // null: not measured (the run had no time); a cut-short latency run can only be known to miss.
  const goals = {
    throughput: best.status.completed > 0 ? best.workflowsPerSecond >= GOALS.workflowsPerSecond : null,
    queueWaitBurst: best.queueWaitMs.classify.p50 === null ? null : waitPass(best.queueWaitMs),
    queueWaitPaced: paced.queueWaitMs.classify.p50 === null ? null : waitPass(paced.queueWaitMs),
    latency:
      latency.elapsedMs === 0
        ? null
        : latency.cutShort
          ? latencyRatio > GOALS.latencyRatio
            ? false
            : null
          : latencyRatio <= GOALS.latencyRatio,
    integrity: lost.length === 0,
  };
  return { ...runs, idealMs, latencyRatio, all, lost, cutShort, goals };
}

/** Run 2 against its ideal, the goals, and the JSON line; the exit code: 1 on lost work or a cut-short run. */
export function printGoals(outcome: BenchOutcome, strict: boolean): number {
  const { startedAt, throughput, skipped, anchors, best, bestAnchor, paced, profile, latency } = outcome;
  const { idealMs, latencyRatio, all, cutShort, goals } = outcome;
  log();
  log(
    `Run 2 (${LATENCY_LEADS} leads, ${LATENCY_MS} ms model latency, WORKER_CONCURRENCY=${LATENCY_CONCURRENCY})`,
  );
  log(
    `  ideal = ceil(leads / concurrency) x latency + 2 x latency = ceil(${LATENCY_LEADS}/${LATENCY_CONCURRENCY}) x ${LATENCY_MS} + 2 x ${LATENCY_MS} = ${idealMs} ms`,
  );
  log(
    "  (each step queue has WORKER_CONCURRENCY slots and the three queues run in parallel: classify drains in",
  );
  log("   ceil(leads/concurrency) waves of one latency each; the last wave then needs extract and route)");
  log(
    `  measured ${latency.cutShort ? `more than ${fmt(latency.elapsedMs, 0)} ms (cut short by the time budget)` : `${fmt(latency.spanMs, 0)} ms (first created_at -> last finished_at)`}, ratio ${latency.cutShort ? ">= " : ""}${fmt(latencyRatio, 3)}; ${latency.status.completed}/${latency.status.failed}/${latency.status.other} completed/failed/other`,
  );
  log();
  log("Goals");
  log(
    table([
      ["goal", "target", "measured", "verdict"],
      [
        "throughput (run 1, best)",
        `>= ${GOALS.workflowsPerSecond} workflows/s`,
        `${fmt(best.workflowsPerSecond, 1)} at c=${best.concurrency}`,
        verdict(goals.throughput),
      ],
      [
        "queue wait p50, burst (run 1)",
        `<= ${GOALS.queueWaitP50Ms} ms each step`,
        STEP_NAMES.map((s) => fmt(best.queueWaitMs[s].p50, 1)).join(" / "),
        verdict(goals.queueWaitBurst),
      ],
      [
        "queue wait p50, paced (run 1b)",
        `<= ${GOALS.queueWaitP50Ms} ms each step`,
        STEP_NAMES.map((s) => fmt(paced.queueWaitMs[s].p50, 1)).join(" / "),
        verdict(goals.queueWaitPaced),
      ],
      [
        "latency run vs ideal (run 2)",
        `<= ${GOALS.latencyRatio}x`,
        `${fmt(latencyRatio, 3)}x`,
        verdict(goals.latency),
      ],
      [
        "every workflow completed",
        "all runs",
        all.map((r) => `${r.status.completed}/${r.leads}`).join(", "),
        !goals.integrity ? "FAIL" : cutShort.length ? "INCOMPLETE" : "PASS",
      ],
    ]),
  );
  log(`(total bench time ${fmt((Date.now() - startedAt) / 1000, 0)} s)`);
  log(
    JSON.stringify({
      bench: "pipeline",
      at: new Date(startedAt).toISOString(),
      node: process.version,
      cores: navigator.hardwareConcurrency,
      loadavgStart: loadavg(),
      submitVia: "core submitLead (in process)",
      workerIn: `${WORKER_PROCESSES} child process(es)`,
      workerEnv: { DATABASE_POOL_SIZE: POOL_SIZE, LOG_LEVEL: "warn", WORKER_METRICS_PORT: 0 },
      goals: GOALS,
      verdicts: goals,
      run1: throughput,
      run1Skipped: skipped,
      anchors,
      best: { concurrency: best.concurrency, workflowsPerSecond: round(best.workflowsPerSecond, 1) },
      anchorRatio: bestAnchor ? round(best.workflowsPerSecond / bestAnchor.chainsPerSecond, 3) : null,
      run1b: paced,
      profile: profile.map(({ statements: _s, ...p }) =>
        Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === "number" ? round(v, 2) : v])),
      ),
      run2: { ...latency, idealMs, ratio: round(latencyRatio, 3), formula: "ceil(N/C)*L + 2*L" },
    }),
  );
  if (cutShort.length) {
    log(
      `INCOMPLETE: the ${TIMEOUT_MS / 1000} s budget (BENCH_TIMEOUT_MS) ran out during ${cutShort.map((r) => r.label).join(", ")}; their figures cover the work done so far.`,
    );
  }
  if (!goals.integrity || cutShort.length) return 1;
  if (strict && !(goals.throughput && goals.queueWaitPaced && goals.latency)) return 1;
  return 0;
}
