/** The report's tables: throughput beside the anchor, queue waits, the one-at-a-time profile, where the CPU went. */
import { STEP_NAMES } from "@leadflow/core/schemas/workflow";
import { fmt, table, verdict } from "../support/stats.ts";
import type { PipelineResult } from "./figures.ts";
import type { BenchOutcome } from "./goals.ts";
import { GOALS } from "./settings.ts";

const log = (line = "") => process.stdout.write(`${line}\n`);

export function printTables(outcome: BenchOutcome) {
  const { throughput, anchors, best, bestAnchor, paced, pacedRate, profile, all } = outcome;
  log();
  log("Run 1 (burst of leads, zero model latency): throughput");
  log(
    table([
      [
        "WORKER_CONCURRENCY",
        "workflows/s",
        "span s",
        "submit s",
        "anchor chains/s",
        "ratio",
        "CPU ms/workflow",
        "idle-machine projection",
        "completed/failed/other",
      ],
      ...throughput.map((r) => {
        const a = anchors.find((x) => x.concurrency === r.concurrency);
        return [
          String(r.concurrency),
          fmt(r.workflowsPerSecond, 1),
          fmt(r.spanMs / 1000, 2),
          fmt(r.submitMs / 1000, 2),
          fmt(a?.chainsPerSecond, 0),
          a ? `${fmt(r.workflowsPerSecond / a.chainsPerSecond, 3)}` : "-",
          fmt(r.perWork.cpuMsPerWorkflow, 1),
          `${fmt(r.perWork.projectedWorkflowsPerSecond, 0)}/s (${r.perWork.projectionLimit})`,
          `${r.status.completed}/${r.status.failed}/${r.status.other}`,
        ];
      }),
    ]),
  );
  log(
    "  (idle-machine projection: an upper bound from CPU cost, min(cores x 1000 / CPU ms per workflow of bench +",
  );
  log("   worker + this database's backends + Redis, worker processes x 1000 / worker CPU ms per workflow))");
  log();
  log(
    "Queue wait, hand-off and step time, ms. Queue wait: enqueue (the job's timestamp in its queue) -> the step's start",
  );
  log(
    "(its claim, started_at). Hand-off: the commit before it began (the lead's created_at, or the previous step's",
  );
  log("finished_at) -> the step's start, so it also holds that commit's fsync and the enqueue call.");
  const waitRows = (r: PipelineResult, name: string) =>
    STEP_NAMES.map((s) => [
      `${name} ${s}`,
      fmt(r.queueWaitMs[s].p50, 1),
      fmt(r.queueWaitMs[s].p99, 1),
      fmt(r.handOffMs[s].p50, 1),
      fmt(r.handOffMs[s].p99, 1),
      fmt(r.stepServiceMs[s].p50, 1),
      fmt(r.stepServiceMs[s].p99, 1),
      verdict(r.queueWaitMs[s].p50 === null ? null : r.queueWaitMs[s].p50 <= GOALS.queueWaitP50Ms),
    ]);
  const anchorRows = bestAnchor
    ? STEP_NAMES.map((s, i) => [
        `anchor c=${bestAnchor.concurrency} job ${i + 1}`,
        fmt(bestAnchor.queueWaitMs[s].p50, 1),
        fmt(bestAnchor.queueWaitMs[s].p99, 1),
        "-",
        "-",
        "-",
        "-",
        "",
      ])
    : [];
  log(
    table([
      [
        "run / step",
        "wait p50",
        "wait p99",
        "hand-off p50",
        "hand-off p99",
        "step p50",
        "step p99",
        `wait p50<=${GOALS.queueWaitP50Ms}`,
      ],
      ...waitRows(best, `burst c=${best.concurrency}`),
      ...anchorRows,
      ...waitRows(paced, `paced ${pacedRate}/s`),
    ]),
  );
  log();
  log("Profile: one lead at a time (means over 30; PostgreSQL round trips include BEGIN/COMMIT)");
  log(
    table([
      [
        "phase",
        "round trips",
        "transactions",
        "total ms",
        "postgres ms",
        "model ms",
        "enqueue ms",
        "other ms",
      ],
      ...profile.map((p) => [
        p.phase,
        fmt(p.roundTrips, 1),
        fmt(p.transactions, 1),
        fmt(p.totalMs, 2),
        fmt(p.pgMs, 2),
        fmt(p.llmMs, 2),
        fmt(p.enqueueMs, 2),
        fmt(p.otherMs, 2),
      ]),
    ]),
  );
  const classifySample = profile.find((p) => p.phase === "classify");
  if (classifySample) {
    log(
      `  classify statements: ${classifySample.statements.map((s) => s.split(" ").slice(0, 3).join(" ")).join(" | ")}`,
    );
  }
  log();
  log(
    "Where the CPU went (cores busy during each run; bench = load generator + simulator; pg ours = this database's backends; others = the rest of the machine)",
  );
  log(
    table([
      [
        "run",
        "bench",
        "worker",
        "pg ours",
        "pg all",
        "redis",
        "others",
        "machine busy",
        "worker ELU",
        "worker pool wait",
        "worker CPU ms/step",
        "pg CPU ms/workflow",
        "round trips/step",
      ],
      ...all.map((r) => [
        r.label,
        fmt(r.cpuCores.bench, 2),
        fmt(r.cpuCores.worker, 2),
        fmt(r.cpuCores.postgresOurs, 2),
        fmt(r.cpuCores.postgres, 2),
        fmt(r.cpuCores.redis, 2),
        fmt(r.cpuCores.others, 2),
        r.machineBusy === null ? "-" : `${fmt(r.machineBusy * 100, 0)}%`,
        r.worker.map((w) => fmt(w.eventLoopUtilization as number, 2)).join(" "),
        r.worker
          .map((w) => `${fmt(w.poolWaitingMean as number, 1)} avg/${fmt(w.poolWaitingMax as number, 0)} max`)
          .join(" "),
        fmt(r.perWork.workerCpuMsPerStep, 2),
        fmt(r.perWork.postgresCpuMsPerWorkflow, 2),
        fmt(r.perWork.workerRoundTripsPerStep, 1),
      ]),
    ]),
  );
  for (const r of all) {
    const logged: Record<string, number> = {};
    let requeued = 0;
    for (const w of r.worker) {
      for (const [msg, n] of Object.entries((w.logged as Record<string, number>) ?? {})) {
        logged[msg] = (logged[msg] ?? 0) + n;
      }
      requeued += (w.requeuedByReconciler as number) ?? 0;
    }
    if (Object.keys(logged).length > 0) {
      log(
        `  ${r.label}: worker warnings/errors: ${Object.entries(logged)
          .map(([msg, n]) => `${n} x "${msg}"`)
          .join(", ")}${requeued ? ` (reconciler re-enqueued ${requeued} steps)` : ""}`,
      );
    }
  }
  const othersMax = Math.max(...all.map((r) => r.cpuCores.others ?? 0));
  if (othersMax > 0.25) {
    log(
      `NOTE: other processes on this machine used up to ${fmt(othersMax, 2)} of its ${navigator.hardwareConcurrency} cores during these runs; the figures understate what it does alone.`,
    );
  }
}
