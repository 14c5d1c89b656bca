/** The chaos report: each goal judged on what PostgreSQL, the logs and the simulator say; tables; one JSON line. */
import { loadavg } from "node:os";
import { join } from "node:path";
import { peakInWindow, type Simulator } from "../../functions/simulator/server.ts";
import { counts, fmt, percentile, table, verdict } from "../support/stats.ts";
import type { accountLeads } from "./accounting.ts";
import type { Figures } from "./figures.ts";
import type { IntakeResult } from "./intake.ts";
import type { countLogs } from "./logs.ts";
import type { OrphanReport } from "./orphans.ts";
import type { Bounds } from "./poison.ts";
import {
  DRAIN_TIMEOUT_MS,
  FAULT_RATE,
  LEADS,
  MAX_TAKEOVERS,
  REQUESTS_PER_MINUTE,
  SEED,
  WORKERS,
} from "./settings.ts";
import { arrivals, LOAD_AT_START, out, redisDown, timeline } from "./timeline.ts";

export interface Goal {
  name: string;
  value: string;
  goal: string;
  pass: boolean | null;
}

/** A goal of none at all: `count` must be 0; `value` shows it, or how it is made up. */
const none = (name: string, count: number, value = String(count)): Goal => ({
  name,
  value,
  goal: "0",
  pass: count === 0,
});

export function report(run: {
  intake: IntakeResult;
  figures: Figures;
  drained: boolean;
  accounting: Awaited<ReturnType<typeof accountLeads>>;
  orphans: OrphanReport[];
  stuckReport: string;
  logs: Awaited<ReturnType<typeof countLogs>>;
  simulator: ReturnType<Simulator["stats"]>;
  bounds: Bounds;
  poisonKills: number;
  logDir: string;
}): number {
  const { bounds } = run;
  const peak = run.simulator.peakRequestsPerMinute;
  // Redis comes back empty in this run, and with it the flow log: the limit is kept within each Redis lifetime.
  const peakBefore = peakInWindow(arrivals.filter((at) => at < redisDown.from));
  const peakAfter = peakInWindow(arrivals.filter((at) => redisDown.to !== null && at >= redisDown.to));
  const peakWithin = Math.max(peakBefore, peakAfter);
  const lostMessage = `The step was lost ${MAX_TAKEOVERS} times`;
  const { intake, figures: f, logs } = run;
  const terminal = f.completed + f.failed;
  const a = run.accounting;
  const submitted = f.workflows;
  const terminalPct = submitted ? (100 * terminal) / submitted : 0;
  const httpErrors = intake.sent - intake.accepted;
  const lost = a.ackedWithoutRow + f.leadsWithoutWorkflow;
  const extraLeads = a.sameKeyExtraRows + a.rowsWithoutKey + intake.conflictingAcks;
  const duplicatedWorkflows = f.duplicateWorkflows + extraLeads;
  const duplicatedSteps = f.duplicateSucceededAttempts + f.duplicateCompletedEvents;
  const untruthful = f.attemptsMismatch + f.attemptNumberGaps;

  const goals: Goal[] = [
    {
      name: "workflows terminal (completed + failed)",
      value: `${terminal}/${submitted} = ${fmt(terminalPct, 1)}%`,
      goal: "100%",
      pass: submitted > 0 && terminal === submitted,
    },
    none("stuck (not terminal at the end)", f.stuck),
    none("lost (acknowledged without a lead row; lead without workflow)", lost),
    none(
      "duplicated workflows (per lead; leads beyond one per key)",
      duplicatedWorkflows,
      `${duplicatedWorkflows} (${f.duplicateWorkflows} + ${extraLeads})`,
    ),
    none(
      "duplicated step runs (2+ succeeded attempts; 2+ step_completed)",
      duplicatedSteps,
      `${duplicatedSteps} (${f.duplicateSucceededAttempts} + ${f.duplicateCompletedEvents})`,
    ),
    none("failed workflows without a persisted reason", f.failedWithoutReason),
    none("persisted outputs failing their schema", f.invalidOutputs),
    none(
      "attempts untruthful (count != rows; numbering gaps)",
      untruthful,
      `${untruthful} (${f.attemptsMismatch} + ${f.attemptNumberGaps})`,
    ),
    none("terminal workflows with inconsistent steps", f.inconsistent),
    {
      name: "most model calls in one workflow (ceiling from the settings)",
      value: String(bounds.maxCalls),
      goal: `<= ${bounds.ceiling}`,
      pass: bounds.maxCalls <= bounds.ceiling,
    },
    {
      name: "peak model calls in any minute, within one Redis lifetime",
      value: `${peakWithin} (before the restart ${peakBefore}, after ${peakAfter})`,
      goal: REQUESTS_PER_MINUTE ? `<= ${REQUESTS_PER_MINUTE}` : "-",
      pass: REQUESTS_PER_MINUTE ? peakWithin <= REQUESTS_PER_MINUTE : null,
    },
    {
      name: "peak model calls in any minute, across the restart (it empties the flow log)",
      value: String(peak),
      goal: "-",
      pass: null,
    },
    {
      name: "poison lead failed after STEP_MAX_TAKEOVERS takeovers",
      value: bounds.poison
        ? `${bounds.poison.status} ${bounds.poison.code ?? ""} after ${run.poisonKills} kills`
        : "not sent",
      goal: `failed INTERNAL after ${MAX_TAKEOVERS} kills`,
      pass:
        bounds.poison !== null &&
        bounds.poison.status === "failed" &&
        bounds.poison.code === "INTERNAL" &&
        (bounds.poison.message ?? "").startsWith(lostMessage) &&
        run.poisonKills === MAX_TAKEOVERS,
    },
    none(
      "HTTP errors during intake (non-202)",
      httpErrors,
      httpErrors ? `${httpErrors} (${counts(withoutKey(intake.byStatus, "202"))})` : "0",
    ),
    {
      name: "time to drain (last lead created -> last terminal)",
      value: f.drainMs === null ? "-" : `${fmt(f.drainMs / 1000, 1)} s`,
      goal: run.drained ? "-" : `within ${DRAIN_TIMEOUT_MS / 1000} s`,
      pass: run.drained ? null : false,
    },
  ];
  const missed = goals.filter((g) => g.pass === false);

  out();
  out("leadflow chaos run");
  out(
    table([
      ["goal", "value", "target", "verdict"],
      ...goals.map((g) => [g.name, g.value, g.goal, verdict(g.pass, "info")]),
    ]),
  );
  out();
  const p = (q: number) => fmt(percentile(intake.latencyMs, q), 0);
  out(
    table(
      [
        ["detail", "value"],
        [
          "leads sent / 202 first time / acknowledged after retries / rows",
          `${intake.sent} / ${intake.accepted} / ${intake.acked.size} / ${f.leads}`,
        ],
        [
          "rows never acknowledged (the sender gave up; would be duplicates without the key)",
          String(a.rowsNeverAcked),
        ],
        [
          "leads more than 202s (the brief's check, without retries it is a duplicate)",
          String(Math.max(0, f.leads - intake.accepted)),
        ],
        ["workflows completed / failed / stuck", `${f.completed} / ${f.failed} / ${f.stuck}`],
        ["failed by code", counts(f.failedByCode)],
        ["failed by step and code", counts(f.failedByStepAndCode)],
        ["stuck steps (step:status)", counts(f.stuckByStep)],
        ["intake answers, first tries", counts(intake.byStatus)],
        ["intake answers, retries (200 = replay of a stored lead)", counts(intake.retryByStatus)],
        ["first-try errors while Redis was down", counts(errorsWithin(intake, redisDown))],
        [
          "intake latency p50 / p99 / max (ms)",
          `${p(0.5)} / ${p(0.99)} / ${fmt(Math.max(0, ...intake.latencyMs), 0)}`,
        ],
        ["intake: most in flight, worst lag (ms)", `${intake.maxInFlight}, ${fmt(intake.maxLagMs, 0)}`],
        ["intake span (s)", fmt((intake.lastSentAt - intake.startedAt) / 1000, 1)],
        ["first lead -> last terminal (s)", f.spanMs === null ? "-" : fmt(f.spanMs / 1000, 1)],
        ["load average at start / end (1 min)", `${fmt(LOAD_AT_START, 1)} / ${fmt(loadavg()[0], 1)}`],
        ["model calls (simulator)", String(run.simulator.requests)],
        ["faults drawn", counts(withoutKey(run.simulator.byFault, "none") as Record<string, number>)],
        ["attempts by outcome", counts(f.attemptsByOutcome)],
        ["reconciler: rounds with work, re-enqueued", `${logs.reconcilerRounds}, ${logs.requeued}`],
        ["reconciler: re-enqueued by reason", counts(logs.requeuedByReason)],
        ["reconciler rounds failed", String(logs.reconcilerFailures)],
        ["API enqueues left to the reconciler", String(logs.apiEnqueueFailed)],
        ["leases lost to a takeover", String(logs.leaseLost)],
        ...run.orphans.map((o) => [
          `claims orphaned by killing ${o.victim}; takeover after lease expiry (s)`,
          `${o.orphaned}; ${o.takeoverMs.map((ms) => (ms === null ? "never" : fmt(ms / 1000, 1))).join(", ") || "-"}`,
        ]),
        ["step jobs that threw / worker errors", `${logs.jobThrew} / ${logs.workerErrors}`],
        ["other error logs", counts(logs.otherErrors)],
      ],
      { leftAligned: true },
    ),
  );
  out();
  out("intake over time (by when each request went out):");
  out(table(intakeBuckets(intake)));
  out();
  out("timeline:");
  for (const t of timeline) out(`  ${fmt(t.at_s, 1).padStart(6)} s  ${t.event}`);
  if (intake.samples.length) {
    out("first non-202 answers:");
    for (const s of intake.samples) out(`  #${s.index} try ${s.try} ${s.status}: ${s.body}`);
  }
  if (f.invalidOutputSamples.length) {
    out("outputs failing their schema:");
    for (const s of f.invalidOutputSamples) out(`  ${s.step} of ${s.workflow_id}: ${s.issues}`);
  }
  if (run.stuckReport) {
    out(`stuck workflows (also in ${join(run.logDir, "stuck.txt")}):`);
    out(run.stuckReport);
  }
  out(`logs: ${run.logDir}`);
  out(missed.length ? `MISS: ${missed.map((g) => g.name).join("; ")}` : "PASS: every goal met");
  out(
    JSON.stringify({
      bench: "chaos",
      pass: missed.length === 0,
      leads: LEADS,
      workers: WORKERS,
      faultRate: FAULT_RATE,
      loadAverage: { start: LOAD_AT_START, end: loadavg()[0] },
      seed: SEED,
      sent: intake.sent,
      accepted: intake.accepted,
      acknowledged: intake.acked.size,
      retries: intake.retryByStatus,
      rowsNeverAcked: a.rowsNeverAcked,
      leadRows: f.leads,
      workflows: f.workflows,
      completed: f.completed,
      failed: f.failed,
      terminalPct: Math.round(terminalPct * 10) / 10,
      stuck: f.stuck,
      lost,
      duplicatedWorkflows,
      duplicatedStepRuns: duplicatedSteps,
      failedWithoutReason: f.failedWithoutReason,
      invalidOutputs: f.invalidOutputs,
      attemptsMismatch: f.attemptsMismatch,
      attemptNumberGaps: f.attemptNumberGaps,
      inconsistent: f.inconsistent,
      httpErrors: withoutKey(intake.byStatus, "202"),
      drainMs: f.drainMs,
      drained: run.drained,
      spanMs: f.spanMs,
      maxCallsPerWorkflow: bounds.maxCalls,
      callCeiling: bounds.ceiling,
      peakRequestsPerMinute: peak,
      peakRequestsPerMinuteWithinRedisLifetime: peakWithin,
      requestsPerMinuteLimit: REQUESTS_PER_MINUTE || null,
      poison: bounds.poison ? { ...bounds.poison, kills: run.poisonKills } : null,
      failedByCode: f.failedByCode,
      stuckByStep: f.stuckByStep,
      modelCalls: run.simulator.requests,
      attemptsByOutcome: f.attemptsByOutcome,
      reconciler: {
        requeued: logs.requeued,
        byReason: logs.requeuedByReason,
        failures: logs.reconcilerFailures,
      },
      apiEnqueueFailed: logs.apiEnqueueFailed,
      leaseLost: logs.leaseLost,
      orphans: run.orphans,
      timeline,
      missed: missed.map((g) => g.name),
    }),
  );
  return missed.length ? 1 : 0;
}

/** Requests grouped in 2.5-s slices of the intake: how many went out, how they were answered, how fast. */
function intakeBuckets(intake: IntakeResult): string[][] {
  const sliceMs = 2_500;
  const slices = new Map<number, IntakeResult["requests"]>();
  for (const r of intake.requests) {
    const k = Math.floor((r.sentAt - intake.startedAt) / sliceMs);
    slices.set(k, [...(slices.get(k) ?? []), r]);
  }
  const rows = [["sent at (s)", "sent", "202", "other", "p50 ms", "max ms"]];
  for (const k of [...slices.keys()].sort((a, b) => a - b)) {
    const rs = slices.get(k)!;
    const latency = rs.map((r) => r.answeredAt - r.sentAt);
    const other = counts(withoutKey(tally(rs.map((r) => r.status)), "202"));
    rows.push([
      `${fmt((k * sliceMs) / 1000, 1)}-${fmt(((k + 1) * sliceMs) / 1000, 1)}`,
      String(rs.length),
      String(rs.filter((r) => r.status === "202").length),
      other,
      fmt(percentile(latency, 0.5), 0),
      fmt(Math.max(...latency), 0),
    ]);
  }
  return rows;
}

function tally(values: string[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const v of values) result[v] = (result[v] ?? 0) + 1;
  return result;
}

/** First-try failures among requests sent while the window was open (Redis down). */
function errorsWithin(
  intake: IntakeResult,
  window: { from: number; to: number | null },
): Record<string, number> {
  const result: Record<string, number> = {};
  for (const r of intake.requests) {
    if (r.try !== 1 || r.sentAt < window.from || (window.to !== null && r.sentAt > window.to)) continue;
    result[r.status] = (result[r.status] ?? 0) + 1;
  }
  const ok = result["202"] ?? 0;
  delete result["202"];
  return Object.keys(result).length ? result : { [`none (${ok} sent)`]: 0 };
}

function withoutKey<T extends Record<string, number>>(record: T, key: string): Record<string, number> {
  return Object.fromEntries(Object.entries(record).filter(([k, v]) => k !== key && v > 0));
}
