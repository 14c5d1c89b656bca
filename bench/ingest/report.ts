import { table as textTable } from "../support/stats.ts";
import type { LoadResult } from "./api-load.ts";
import type { RawResult } from "./pg-loop.ts";

/** The issue's goals for intake (issue 3, "Benchmark"). */
export const GOALS = { minRatio: 0.6, maxP99Ms: 50, maxErrors: 0 } as const;

export interface Check {
  name: string;
  expected: number;
  actual: number;
}

export interface Summary {
  machine: {
    cpus: number;
    node: string;
    postgres: string;
    synchronousCommit: string;
    /** 1-minute load average when each phase began. */
    loadAverage: Record<string, number>;
  };
  apiServer: {
    databasePoolSize: number;
    /**
     * CPU the API process used during the run: in cores (near 1, its one JavaScript thread was the limit) and
     * per request (the cost that stays the same however busy the machine is). Null without /proc.
     */
    cpu: { cores: number; msPerRequest: number } | null;
  };
  api: LoadResult;
  raw: RawResult[];
  anchor: RawResult;
  /** Leads accepted per second by the API over raw transactions per second: 1 means the API costs nothing. */
  ratio: number;
  checks: Check[];
}

interface Goal {
  name: string;
  target: string;
  actual: string;
  pass: boolean;
}

export function goals(summary: Summary): Goal[] {
  const failures = summary.api.errors + summary.api.non2xx;
  return [
    {
      name: "ratio API / raw",
      target: `>= ${GOALS.minRatio}`,
      actual: summary.ratio.toFixed(2),
      pass: summary.ratio >= GOALS.minRatio,
    },
    {
      name: "p99 latency",
      target: `<= ${GOALS.maxP99Ms} ms`,
      actual: `${summary.api.latencyMs.p99} ms`,
      pass: summary.api.latencyMs.p99 <= GOALS.maxP99Ms,
    },
    {
      name: "errors + non-2xx",
      target: `= ${GOALS.maxErrors}`,
      actual: String(failures),
      pass: failures <= GOALS.maxErrors,
    },
  ];
}

export const failedChecks = (summary: Summary) => summary.checks.filter((c) => c.expected !== c.actual);

const fixed = (n: number, digits = 1) => n.toFixed(digits);
const table = (header: string[], rows: string[][]): string[] => textTable([header, ...rows]).split("\n");

/** The human-readable report: the API run, the raw baselines, the integrity checks, the goals. */
export function renderReport(summary: Summary): string {
  const { api, machine } = summary;
  const { cpu } = summary.apiServer;
  const lines = [
    "",
    `leadflow ingest benchmark: ${machine.cpus} CPUs, Node ${machine.node}, PostgreSQL ${machine.postgres} ` +
      `(synchronous_commit=${machine.synchronousCommit})`,
    `load average at the start of each phase: ${Object.entries(machine.loadAverage)
      .map(([phase, load]) => `${phase} ${load}`)
      .join(", ")} (above ${machine.cpus}, other processes competed for the CPUs)`,
    "",
    `API  POST /leads, autocannon, ${api.connections} connections, ${fixed(api.seconds, 2)} s, ` +
      `API DATABASE_POOL_SIZE=${summary.apiServer.databasePoolSize}`,
    ...table(
      ["", "value"],
      [
        ["requests/s", fixed(api.requestsPerSecond)],
        ["202 accepted/s", fixed(api.acceptedPerSecond)],
        ["latency mean", `${fixed(api.latencyMs.mean, 2)} ms`],
        ["latency p50", `${api.latencyMs.p50} ms`],
        ["latency p90", `${api.latencyMs.p90} ms`],
        ["latency p99", `${api.latencyMs.p99} ms`],
        ["latency max", `${api.latencyMs.max} ms`],
        ["requests sent / answered", `${api.sent} / ${api.answered}`],
        ["202 answers", String(api.accepted)],
        ["non-2xx", String(api.non2xx)],
        ["errors (timeouts)", `${api.errors} (${api.timeouts})`],
        ["API process CPU", cpu ? `${fixed(cpu.cores, 2)} cores` : "-"],
        ["API CPU per request", cpu ? `${fixed(cpu.msPerRequest, 2)} ms` : "-"],
      ],
    ),
    "",
    "Raw insert transaction, same SQL (BEGIN; role and user; lead; workflow; 3 steps; event; COMMIT)",
    ...table(
      ["tool", "clients", "tx/s", "mean", "p50", "p99", "client CPU/tx", "failed"],
      summary.raw.map((r) => [
        r === summary.anchor ? `${r.tool} [anchor]` : r.tool,
        String(r.clients),
        fixed(r.transactionsPerSecond),
        r.latencyMs ? `${fixed(r.latencyMs.mean, 2)} ms` : "-",
        r.latencyMs?.p50 === undefined ? "-" : `${fixed(r.latencyMs.p50, 2)} ms`,
        r.latencyMs?.p99 === undefined ? "-" : `${fixed(r.latencyMs.p99, 2)} ms`,
        r.clientCpuMsPerTransaction === null ? "-" : `${fixed(r.clientCpuMsPerTransaction, 2)} ms`,
        String(r.failed),
      ]),
    ),
    ...summary.raw.filter((r) => r.firstError).map((r) => `${r.tool}, first failure: ${r.firstError}`),
    "",
    "Integrity (rows written = answers counted)",
    ...table(
      ["check", "expected", "actual", ""],
      summary.checks.map((c) => [
        c.name,
        String(c.expected),
        String(c.actual),
        c.expected === c.actual ? "ok" : "MISMATCH",
      ]),
    ),
    "",
    `Goals (ratio = ${fixed(api.acceptedPerSecond)} accepted/s / ${fixed(summary.anchor.transactionsPerSecond)} raw tx/s)`,
    ...table(
      ["goal", "target", "actual", ""],
      goals(summary).map((g) => [g.name, g.target, g.actual, g.pass ? "PASS" : "MISS"]),
    ),
    "",
  ];
  return lines.join("\n");
}

/** Every figure on one line, for scripts and for comparing runs. */
export function summaryJson(summary: Summary): string {
  return JSON.stringify({
    bench: "ingest",
    ...summary,
    anchor: summary.anchor.tool,
    anchorTransactionsPerSecond: summary.anchor.transactionsPerSecond,
    goals: goals(summary),
  });
}
