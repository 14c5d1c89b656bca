/**
 * `npm run bench:ingest`: POST /leads on the real API under load, beside the same insert transaction run raw
 * (a node-postgres loop and pgbench) on the same machine. Own database and Redis prefix, never real data.
 * What it measures and every knob: bench/ingest/README.md.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { loadConfig } from "@leadflow/core/config";
import { loadPostLeads } from "./ingest/api-load.ts";
import { type ApiServer, signUpBenchUser, startApiServer } from "./ingest/api-server.ts";
import { BENCH_DATABASE, countIntakeRows, describeServer, resetIntakeTables } from "./ingest/database.ts";
import { runPgLoop } from "./ingest/pg-loop.ts";
import { runPgbench } from "./ingest/pgbench.ts";
import { BENCH_REDIS_PREFIX, countQueuedClassifyJobs, deletePrefixKeys } from "./ingest/redis.ts";
import { type Check, failedChecks, renderReport, type Summary, summaryJson } from "./ingest/report.ts";
import { compareWithRaw, recordApiTransaction } from "./ingest/sql-drift.ts";
import { benchDatabaseUrl, recreateDatabase } from "./support/database.ts";

const positiveInt = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};

const SECONDS = positiveInt("BENCH_SECONDS", 10);
const CONNECTIONS = positiveInt("BENCH_CONNECTIONS", 64);
const API_POOL_SIZE = positiveInt("BENCH_API_POOL_SIZE", 10);
/** 16, not 64: on a 2-CPU machine fewer loops reach more transactions/s (bench/ingest/README.md). */
const PG_LOOP_CLIENTS = positiveInt("BENCH_PG_LOOP_CLIENTS", 16);
const PGBENCH_CLIENTS = positiveInt("BENCH_PGBENCH_CLIENTS", 64);
const PGBENCH_THREADS = 2;
/** Node flags for the API child only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the server. */
const API_NODE_OPTIONS = process.env.BENCH_API_NODE_OPTIONS ?? "";
const WARM_UP_SECONDS = 1;
/**
 * A run takes about 40 s on an idle machine (three 10-s phases, start-up, checks); far past that something
 * hangs, and a benchmark must never hang a terminal. The margin is for a machine busy with other work.
 */
const WATCHDOG_MS = (4 * SECONDS + 50) * 1_000;

let server: ApiServer | undefined;
// Whatever ends this process, the API child goes with it.
process.on("exit", () => server?.kill());
process.once("SIGINT", () => process.exit(130));
process.once("SIGTERM", () => process.exit(143));
setTimeout(() => {
  console.error(`bench:ingest: still running after ${WATCHDOG_MS / 1000} s, aborting`);
  process.exit(1);
}, WATCHDOG_MS).unref();

const startedAt = performance.now();
const step = (message: string) =>
  console.error(`[bench ${((performance.now() - startedAt) / 1000).toFixed(1).padStart(4)} s] ${message}`);

/** Other work on the machine skews a phase; the 1-minute load average at its start says how much. */
const loadAverage: Record<string, number> = {};
const phase = (name: string, message: string) => {
  loadAverage[name] = Number(loadavg()[0]!.toFixed(2));
  step(message);
};

function apiEnvironment(databaseUrl: string, redisUrl: string): Record<string, string> {
  return {
    // Production settings: a real secret, no development defaults.
    NODE_ENV: "production",
    JWT_SECRET: randomBytes(32).toString("hex"),
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(API_POOL_SIZE),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: BENCH_REDIS_PREFIX,
    LOG_LEVEL: "warn",
    // The per-user limit would answer 429 to a load test from one user: it is still checked, never reached.
    LEADS_RATE_LIMIT: "1000000000",
    BCRYPT_COST: "10",
    LLM_PROVIDER: "simulator",
    // Production settings, with the simulator on purpose: config refuses it in production otherwise.
    ALLOW_SIMULATOR_IN_PRODUCTION: "true",
    ...(API_NODE_OPTIONS ? { NODE_OPTIONS: API_NODE_OPTIONS } : {}),
  };
}

/** The API under load, and what the run left in PostgreSQL and Redis. */
async function measureApi(api: ApiServer, databaseUrl: string, redisUrl: string) {
  const { token, userId } = await signUpBenchUser(api.url);
  const drift = compareWithRaw(await recordApiTransaction(databaseUrl, userId));
  if (drift.firstDifference) step(`the raw transaction is out of date: ${drift.firstDifference}`);

  // JIT and the pool's connections warm up first; then the tables are emptied so the checks count the run only.
  const load = { url: api.url, token, connections: CONNECTIONS };
  step(`warm-up: ${WARM_UP_SECONDS} s`);
  await loadPostLeads({ ...load, seconds: WARM_UP_SECONDS });
  await resetIntakeTables(databaseUrl);
  const queuedBefore = await countQueuedClassifyJobs(redisUrl);
  const cpuBefore = await api.cpuSeconds();

  phase("api", `POST /leads: ${CONNECTIONS} connections for ${SECONDS} s`);
  const result = await loadPostLeads({ ...load, seconds: SECONDS });
  const cpuAfter = await api.cpuSeconds();
  const cpuSeconds = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  return {
    userId,
    drift,
    result,
    rows: await countIntakeRows(databaseUrl),
    queued: (await countQueuedClassifyJobs(redisUrl)) - queuedBefore,
    cpu:
      cpuSeconds === null
        ? null
        : { cores: cpuSeconds / result.seconds, msPerRequest: (1000 * cpuSeconds) / result.answered },
  };
}

/** The same transaction without the API: node-postgres in this process, then pgbench, each on empty tables. */
async function measureRaw(databaseUrl: string, userId: string) {
  await resetIntakeTables(databaseUrl);
  phase("pgLoop", `raw pg loop: ${PG_LOOP_CLIENTS} clients for ${SECONDS} s`);
  const pgLoop = await runPgLoop({
    databaseUrl,
    userId,
    clients: PG_LOOP_CLIENTS,
    seconds: SECONDS,
  });
  const pgLoopRows = await countIntakeRows(databaseUrl);

  await resetIntakeTables(databaseUrl);
  phase("pgbench", `pgbench: ${PGBENCH_CLIENTS} clients for ${SECONDS} s`);
  const pgbench = await runPgbench({
    databaseUrl,
    userId,
    clients: PGBENCH_CLIENTS,
    threads: PGBENCH_THREADS,
    seconds: SECONDS,
  });
  if (!pgbench) step("pgbench is not installed: the pg loop is the only raw figure");
  const pgbenchRows = pgbench ? await countIntakeRows(databaseUrl) : null;
  return { pgLoop, pgLoopRows, pgbench, pgbenchRows };
}

async function main(): Promise<number> {
  const config = loadConfig();
  const databaseUrl = benchDatabaseUrl(BENCH_DATABASE, config.DATABASE_URL);
  const redisUrl = config.REDIS_URL;

  step(`database ${new URL(databaseUrl).pathname.slice(1)}: recreating and migrating`);
  await recreateDatabase(databaseUrl);
  await deletePrefixKeys(redisUrl);
  try {
    step("starting the API");
    server = await startApiServer(apiEnvironment(databaseUrl, redisUrl));
    const api = await measureApi(server, databaseUrl, redisUrl);
    // The raw phases get the machine to themselves.
    await server.stop();
    const { pgLoop, pgLoopRows, pgbench, pgbenchRows } = await measureRaw(databaseUrl, api.userId);

    const raw = pgbench ? [pgLoop, pgbench] : [pgLoop];
    const anchor = raw.reduce((best, r) => (r.transactionsPerSecond > best.transactionsPerSecond ? r : best));
    const checks: Check[] = [
      {
        name: "raw SQL = API's SQL (statements)",
        expected: api.drift.statements,
        actual: api.drift.matching,
      },
      { name: "API: leads in DB = 202 answers", expected: api.result.accepted, actual: api.rows.leads },
      { name: "API: workflows = leads", expected: api.rows.leads, actual: api.rows.workflows },
      { name: "API: workflow_steps = 3 x leads", expected: 3 * api.rows.leads, actual: api.rows.steps },
      { name: "API: created events = leads", expected: api.rows.leads, actual: api.rows.events },
      { name: "API: classify jobs queued = 202 answers", expected: api.result.accepted, actual: api.queued },
      {
        name: "pg loop: leads in DB = transactions",
        expected: pgLoop.transactions,
        actual: pgLoopRows.leads,
      },
      ...(pgbench && pgbenchRows
        ? [
            {
              name: "pgbench: leads in DB = transactions",
              expected: pgbench.transactions,
              actual: pgbenchRows.leads,
            },
          ]
        : []),
    ];
    const postgres = await describeServer(databaseUrl);
    const summary: Summary = {
      machine: {
        cpus: availableParallelism(),
        node: process.version,
        postgres: postgres.version,
        synchronousCommit: postgres.synchronousCommit,
        loadAverage,
      },
      apiServer: { databasePoolSize: API_POOL_SIZE, cpu: api.cpu },
      api: api.result,
      raw,
      anchor,
      ratio: api.result.acceptedPerSecond / anchor.transactionsPerSecond,
      checks,
    };
    console.log(renderReport(summary));
    console.log(summaryJson(summary));
    // Goals are reported, not enforced: a missed goal is a finding, a failed check is a broken benchmark.
    return failedChecks(summary).length === 0 ? 0 : 1;
  } catch (err) {
    if (server) console.error(`--- API output ---\n${server.output()}`);
    throw err;
  } finally {
    await server?.stop();
    const deleted = await deletePrefixKeys(redisUrl);
    step(`cleaned ${deleted} Redis keys under ${BENCH_REDIS_PREFIX}:`);
  }
}

process.exitCode = await main();
