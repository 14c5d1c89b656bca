import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { API_ROLE } from "@leadflow/core/db/scoped";
import { INTAKE, SET_CALLER } from "./insert-transaction.ts";
import { leadBody } from "./lead-bodies.ts";
import type { RawResult } from "./pg-loop.ts";

export interface PgbenchOptions {
  databaseUrl: string;
  userId: string;
  clients: number;
  threads: number;
  seconds: number;
}

/** `$1, $2…` become pgbench variables; with `-M prepared` pgbench sends those as parameters, as pg does. */
const bind = (sql: string, names: string[]) => sql.replace(/\$(\d+)/g, (_, n) => names[Number(n) - 1]!);

/**
 * pgbench reads `:name` as a variable even inside a string literal (a to_char format's `HH24:MI`), so each
 * literal holding a colon is rewritten as the same string in Unicode-escape form (`U&'…\003A…'`), which
 * PostgreSQL reads as the very same text. Literals are `'…'` with `''` for a quote; core's statements use no
 * other kind.
 */
export const escapeLiteralColons = (sql: string) =>
  sql.replace(/'(?:[^']|'')*'/g, (literal) =>
    literal.includes(":") ? `U&${literal.replaceAll("\\", "\\\\").replaceAll(":", "\\003A")}` : literal,
  );

/**
 * The intake transaction as a pgbench script: the same statements. pgbench cannot send a NULL variable, so
 * null parameters become NULL literals.
 */
const SCRIPT = [
  "begin;",
  `${bind(SET_CALLER, [":role", ":user_id"])};`,
  `${bind(escapeLiteralColons(INTAKE), [":user_id", ":name", ":channel", ":contact", ":message", "NULL", "NULL"])};`,
  "commit;",
  "",
].join("\n");

function variables(userId: string): Record<string, string> {
  // One body for every transaction: pgbench has no way to pick among strings.
  const lead = leadBody(0);
  return {
    role: API_ROLE,
    user_id: userId,
    name: lead.name,
    channel: lead.contact_channel,
    contact: lead.contact ?? "",
    message: lead.message,
  };
}

/** The C baseline: no JavaScript at all on the client side. Null when pgbench is not installed. */
export async function runPgbench(options: PgbenchOptions): Promise<RawResult | null> {
  const dir = await mkdtemp(join(tmpdir(), "leadflow-pgbench-"));
  try {
    const scriptFile = join(dir, "intake.sql");
    await writeFile(scriptFile, SCRIPT);
    const args = [
      "--no-vacuum",
      "--protocol=prepared",
      `--client=${options.clients}`,
      `--jobs=${options.threads}`,
      `--time=${options.seconds}`,
      `--file=${scriptFile}`,
      ...Object.entries(variables(options.userId)).flatMap(([name, value]) => ["-D", `${name}=${value}`]),
      options.databaseUrl,
    ];
    const run = await execute("pgbench", args);
    if (run === null) return null;
    return parse(run, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function parse(run: { code: number; output: string }, options: PgbenchOptions): RawResult {
  const number = (pattern: RegExp) => {
    const match = pattern.exec(run.output);
    return match ? Number(match[1]) : null;
  };
  const tps = number(/tps = ([\d.]+) \(without initial connection time\)/);
  const transactions = number(/number of transactions actually processed: (\d+)/);
  const latency = number(/latency average = ([\d.]+) ms/);
  if (run.code !== 0 || tps === null || transactions === null) {
    throw new Error(`pgbench failed (exit ${run.code}):\n${run.output}`);
  }
  return {
    tool: `pgbench (-c ${options.clients} -j ${options.threads} -M prepared)`,
    clients: options.clients,
    seconds: options.seconds,
    transactions,
    transactionsPerSecond: tps,
    failed: number(/number of failed transactions: (\d+)/) ?? 0,
    latencyMs: latency === null ? null : { mean: latency },
    clientCpuMsPerTransaction: null,
  };
}

/** Runs a command to its end and keeps its output; null when the command does not exist. */
function execute(command: string, args: string[]): Promise<{ code: number; output: string } | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", (err) => {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") resolve(null);
      else reject(err);
    });
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}
