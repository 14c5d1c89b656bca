/** The chaos run's knobs (environment, listed in bench/chaos.ts), its fault mix and its database. */
import { FAULT_KINDS, type FaultKind } from "../../functions/simulator/faults.ts";
import { benchDatabaseUrl } from "../support/database.ts";

const env = process.env;
const number = (name: string, fallback: number, min = 0) => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}`);
  return value;
};
export const LEADS = number("CHAOS_LEADS", 1000, 1);
export const SUBMIT_MS = number("CHAOS_SUBMIT_SECONDS", 25, 1) * 1000;
export const WORKERS = number("CHAOS_WORKERS", 2, 1);
export const WORKER_CONCURRENCY = number("CHAOS_WORKER_CONCURRENCY", 8, 1);
export const FAULT_RATE = number("CHAOS_FAULT_RATE", 0.3);
export const SEED = number("CHAOS_SEED", 7);
export const WORKER_DOWN_MS = number("CHAOS_WORKER_DOWN_MS", 1000);
export const REDIS_DOWN_MS = number("CHAOS_REDIS_DOWN_MS", 3000);
/** Tries after a failed answer, with the same Idempotency-Key (0: each lead is sent once). */
export const RETRIES = number("CHAOS_RETRIES", 4);
export const DRAIN_TIMEOUT_MS = number("CHAOS_DRAIN_TIMEOUT_S", 300, 1) * 1000;
export const REQUESTS_PER_MINUTE = number("CHAOS_REQUESTS_PER_MINUTE", 1200);
export const MAX_TAKEOVERS = number("CHAOS_MAX_TAKEOVERS", 3, 1);
export const STEP_SETTINGS = { maxAttempts: 5, maxReasks: 2, maxTakeovers: MAX_TAKEOVERS };
/** Requests in flight at most; the Redis outage makes answers slow, and the sender must not stall behind them. */
export const MAX_IN_FLIGHT = 400;
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long a worker may take to boot and attach to its queues (type stripping is slow on a loaded machine). */
export const BOOT_TIMEOUT_MS = 120_000;
/** Set-up, start-up and tear-down on a loaded machine; past this the run is hung and aborts. */
export const WATCHDOG_MS = SUBMIT_MS + DRAIN_TIMEOUT_MS + 180_000;

if (FAULT_RATE > 1) throw new Error("CHAOS_FAULT_RATE must be at most 1");
/** The 30% spread evenly over every kind (hang, the HTTP errors, every malformed and hostile answer). */
export const FAULT_RATES = Object.fromEntries(
  FAULT_KINDS.map((kind) => [kind, FAULT_RATE / FAULT_KINDS.length]),
) as Record<FaultKind, number>;

export const DATABASE_NAME = "leadflow_chaos";
export const DATABASE_URL = benchDatabaseUrl(DATABASE_NAME);
