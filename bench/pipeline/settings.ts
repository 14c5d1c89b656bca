/** The pipeline benchmark's knobs (environment, listed in bench/pipeline.ts), goals, names and time budget. */
import { fileURLToPath } from "node:url";
import { benchDatabaseUrl } from "../support/database.ts";

const env = process.env;
const num = (name: string, fallback: number) => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
export const TIMEOUT_MS = num("BENCH_TIMEOUT_MS", 300_000);
export const LEADS = num("BENCH_LEADS", 2000);
export const CONCURRENCIES = (env.BENCH_CONCURRENCIES ?? "8,16,32").split(",").map((c) => Number(c.trim()));
export const POOL_SIZE = num("BENCH_POOL_SIZE", 20);
export const LATENCY_LEADS = num("BENCH_LATENCY_LEADS", 1000);
export const LATENCY_MS = num("BENCH_LATENCY_MS", 500);
export const LATENCY_CONCURRENCY = num("BENCH_LATENCY_CONCURRENCY", 50);
/** Leads submitted at once by the load generator (and the anchor's producer). */
export const SUBMIT_CONCURRENCY = 16;
export const STALL_MS = 30_000;
export const SKIP_ANCHOR = env.BENCH_SKIP_ANCHOR === "1";
/** Worker processes (each with WORKER_CONCURRENCY per queue); the design scales out this way. */
export const WORKER_PROCESSES = num("BENCH_WORKER_PROCESSES", 1);
/** A directory: the worker child runs with --cpu-prof and writes its profile there (for findings). */
export const WORKER_CPU_PROF = env.BENCH_WORKER_CPU_PROF;
export const STRICT = env.BENCH_STRICT === "1";
export const BENCH_STARTED = Date.now();
/**
 * Past this, a run stops waiting and reports what it has, marked cut short, so the report is always printed;
 * the watchdog at TIMEOUT_MS is only the last resort.
 */
export const DEADLINE_AT = BENCH_STARTED + TIMEOUT_MS - Math.min(30_000, TIMEOUT_MS / 4);

export const GOALS = { workflowsPerSecond: 150, queueWaitP50Ms: 5, latencyRatio: 1.2 };

export const DATABASE_NAME = "leadflow_bench_pipeline";
export const DATABASE_URL = benchDatabaseUrl(DATABASE_NAME);
/**
 * The worker may reach PostgreSQL another way (e.g. a Unix socket: `?host=/var/run/postgresql`) to compare
 * transports; BENCH_WORKER_DATABASE_URL must name the same database.
 */
export const WORKER_DATABASE_URL = env.BENCH_WORKER_DATABASE_URL ?? DATABASE_URL;
export const REDIS_URL = env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const REDIS_PREFIX = "lfbench-pipeline";
export const ANCHOR_PREFIX = `${REDIS_PREFIX}-anchor`;
export const PROFILE_PREFIX = `${REDIS_PREFIX}-profile`;
export const WORKER_CHILD = fileURLToPath(new URL("../support/worker-child.ts", import.meta.url));
export const CHAIN_CHILD = fileURLToPath(new URL("./chain-child.ts", import.meta.url));
