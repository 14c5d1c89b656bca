import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time by process group, read from /proc (Linux only; elsewhere every figure is null). PostgreSQL's total
 * is every `postgres` process plus what the postmaster reaped from backends that already exited (cutime), so
 * connections opened and closed during a run still count.
 */
export interface CpuSnapshot {
  atMs: number;
  /** Seconds of CPU per group name. */
  groups: Record<string, number>;
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  own: number;
  children: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text
      .slice(close + 2)
      .split(" ")
      .map((f) => Number(f));
    // Fields after the comm start at `state` (3rd field overall): ppid is 4th, utime 14th ... cstime 17th.
    const at = (n: number) => fields[n - 3] ?? 0;
    return { pid, comm, ppid: at(4), own: at(14) + at(15), children: at(16) + at(17) };
  } catch {
    return null;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

/**
 * Snapshot of CPU seconds for postgres (all of it, and `postgresOurs`: live backends of `database`, whose
 * process title names it), redis-server, and the given named pids.
 */
export function cpuSnapshot(pids: Record<string, number>, database?: string): CpuSnapshot {
  const hz = clockTicks();
  const groups: Record<string, number> = { postgres: 0, postgresOurs: 0, redis: 0 };
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return { atMs: performance.now(), groups: {} };
  }
  const stats = entries.map((e) => readStat(Number(e))).filter((s): s is ProcStat => s !== null);
  for (const s of stats) {
    if (s.comm === "postgres") {
      // The postmaster (whose parent is not postgres) also carries its reaped backends' time.
      const parent = stats.find((p) => p.pid === s.ppid);
      const isPostmaster = parent?.comm !== "postgres";
      groups.postgres! += (s.own + (isPostmaster ? s.children : 0)) / hz;
      if (database && commandLine(s.pid).includes(` ${database} `)) groups.postgresOurs! += s.own / hz;
    } else if (s.comm.startsWith("redis-server")) {
      groups.redis! += s.own / hz;
    }
  }
  for (const [name, pid] of Object.entries(pids)) {
    const s = stats.find((p) => p.pid === pid);
    groups[name] = s ? s.own / hz : 0;
  }
  return { atMs: performance.now(), groups };
}

/** CPU use per group between two snapshots, in cores (1.0 = one core busy the whole time). */
export function cpuCores(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const seconds = (after.atMs - before.atMs) / 1000;
  const out: Record<string, number> = {};
  if (seconds <= 0) return out;
  for (const [name, value] of Object.entries(after.groups)) {
    out[name] = Math.max(0, (value - (before.groups[name] ?? 0)) / seconds);
  }
  return out;
}

/** Whole-machine busy fraction between two /proc/stat readings (all cores), for context. */
export function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const values = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map((v) => Number(v));
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    const total = values.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}
