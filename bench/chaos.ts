/**
 * `npm run chaos`: the failure semantics of shared/DESIGN.md under fire, on this machine.
 *
 * 1,000 leads go through the real API (a child process) at a steady pace over ~25 s, against the simulator (in
 * this process) with a 30% fault mix spread over every fault kind, hangs included. Two worker processes
 * (functions/worker/main.ts) drain them; one is SIGKILLed and restarted at ~25% and again at ~60% of the
 * submissions, and the run's own Redis is SIGKILLed and restarted empty at ~45% (intake must keep answering 202:
 * the API commits to PostgreSQL and leaves the enqueue to the reconciler). Then it waits for the drain (bounded)
 * and reads PostgreSQL back: every workflow terminal, none stuck, nothing twice, every failure with its reason,
 * every persisted output valid against its step's schema, attempts that add up, no intake errors. PASS/MISS per
 * goal, a table, one JSON line; exit 1 on a missed goal. Stuck workflows are described (steps and events) so the
 * cause can be found.
 *
 * A kill waits until its victim consumes the queues (a worker takes seconds to boot on a busy machine) and work is
 * claimed, or it would test nothing; the claims the victim leaves behind are followed until another delivery takes
 * them over, and the report gives each takeover's delay after the lease ran out. Leads carry an Idempotency-Key
 * and a failed POST is retried with it, so every lead lands once; the intake goal counts first answers only.
 * Everything runs on this machine's CPUs: read the load average printed with the figures before blaming the code.
 *
 * Its own database (leadflow_chaos: dropped, created and migrated each run), its own redis-server (a free port,
 * nothing on disk), its own simulator; every child is killed at the end, error or not. Children's logs (pino,
 * LOG_LEVEL=warn) go to CHAOS_LOG_DIR (default a fresh directory under the system temp dir).
 *
 * Bounded model use rides along: the fault mix includes the hostile kinds (NUL and lone surrogates in answers, 2 MB
 * answers, whitespace floods, HTML 200s, empty choices, insufficient_quota); every worker shares one
 * LLM_REQUESTS_PER_MINUTE (CHAOS_REQUESTS_PER_MINUTE), whose peak the simulator measures; and one poison lead kills
 * the worker that runs it (found by its connection's port), every time, until STEP_MAX_TAKEOVERS ends it. The
 * report gives the most model calls any workflow made against the ceiling the settings imply.
 *
 * Knobs (env): CHAOS_LEADS (1000), CHAOS_SUBMIT_SECONDS (25), CHAOS_WORKERS (2), CHAOS_WORKER_CONCURRENCY (8),
 * CHAOS_FAULT_RATE (0.3, split evenly over every fault kind), CHAOS_SEED (7), CHAOS_WORKER_DOWN_MS (1000: how long
 * a killed worker stays down), CHAOS_REDIS_DOWN_MS (3000), CHAOS_RETRIES (4: a failed POST is sent again with the
 * same Idempotency-Key, like a webhook sender; 0 sends each lead once), CHAOS_DRAIN_TIMEOUT_S (300), CHAOS_LOG_DIR,
 * CHAOS_REQUESTS_PER_MINUTE (1200, so the limit binds; 0: no limit), CHAOS_MAX_TAKEOVERS (3),
 * DATABASE_URL (the server to use; the database name is replaced by leadflow_chaos).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { FAULT_KINDS, type FaultKind } from "../functions/simulator/faults.ts";
import { peakInWindow, type Simulator, startSimulator } from "../functions/simulator/server.ts";
import {
  killEveryChild,
  type LoggedChild,
  sleep,
  spawnWorker,
  startApi,
  startPrivateRedis,
} from "../scripts/support/processes.ts";
import { describeStuck, type Figures, progress, readFigures } from "./chaos/figures.ts";
import { counts, fmt, percentile, table, verdict } from "./chaos/format.ts";
import { type IntakeResult, idempotencyKey, submitPaced } from "./chaos/intake.ts";
import { countLogs } from "./chaos/logs.ts";
import { followOrphans, type OrphanReport, snapshotClaims } from "./chaos/orphans.ts";
import {
  type Bounds,
  callCeiling,
  POISON_KEY,
  POISON_MARKER,
  pidOwningPort,
  readBounds,
  submitPoison,
} from "./chaos/poison.ts";
import { watchWorkers } from "./chaos/workers.ts";
import { benchDatabaseUrl, recreateDatabase } from "./support/database.ts";

const env = process.env;
const number = (name: string, fallback: number, min = 0) => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}`);
  return value;
};
const LEADS = number("CHAOS_LEADS", 1000, 1);
const SUBMIT_MS = number("CHAOS_SUBMIT_SECONDS", 25, 1) * 1000;
const WORKERS = number("CHAOS_WORKERS", 2, 1);
const WORKER_CONCURRENCY = number("CHAOS_WORKER_CONCURRENCY", 8, 1);
const FAULT_RATE = number("CHAOS_FAULT_RATE", 0.3);
const SEED = number("CHAOS_SEED", 7);
const WORKER_DOWN_MS = number("CHAOS_WORKER_DOWN_MS", 1000);
const REDIS_DOWN_MS = number("CHAOS_REDIS_DOWN_MS", 3000);
/** Tries after a failed answer, with the same Idempotency-Key (0: each lead is sent once). */
const RETRIES = number("CHAOS_RETRIES", 4);
const DRAIN_TIMEOUT_MS = number("CHAOS_DRAIN_TIMEOUT_S", 300, 1) * 1000;
const REQUESTS_PER_MINUTE = number("CHAOS_REQUESTS_PER_MINUTE", 1200);
const MAX_TAKEOVERS = number("CHAOS_MAX_TAKEOVERS", 3, 1);
const STEP_SETTINGS = { maxAttempts: 5, maxReasks: 2, maxTakeovers: MAX_TAKEOVERS };
/** Requests in flight at most; the Redis outage makes answers slow, and the sender must not stall behind them. */
const MAX_IN_FLIGHT = 400;
const REQUEST_TIMEOUT_MS = 30_000;
/** How long a worker may take to boot and attach to its queues (type stripping is slow on a loaded machine). */
const BOOT_TIMEOUT_MS = 120_000;
/** Set-up, start-up and tear-down on a loaded machine; past this the run is hung and aborts. */
const WATCHDOG_MS = SUBMIT_MS + DRAIN_TIMEOUT_MS + 180_000;

if (FAULT_RATE > 1) throw new Error("CHAOS_FAULT_RATE must be at most 1");
/** The 30% spread evenly over every kind (hang, the HTTP errors, every malformed and hostile answer). */
const FAULT_RATES = Object.fromEntries(
  FAULT_KINDS.map((kind) => [kind, FAULT_RATE / FAULT_KINDS.length]),
) as Record<FaultKind, number>;

const DATABASE_NAME = "leadflow_chaos";
const DATABASE_URL = benchDatabaseUrl(DATABASE_NAME);

const t0 = Date.now();
const LOAD_AT_START = loadavg()[0]!;
const stamp = () => `[chaos ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
const say = (message: string) => process.stderr.write(`${stamp()} ${message}\n`);
const out = (line = "") => process.stdout.write(`${line}\n`);

/** When each model call reached the simulator, for the per-minute peaks on either side of the Redis restart. */
const arrivals: number[] = [];

/** When the run's Redis was down: first-try errors in this window are the outage's. */
const redisDown: { from: number; to: number | null } = { from: Number.POSITIVE_INFINITY, to: null };

const timeline: Array<{ at_s: number; event: string }> = [];
const mark = (event: string) => {
  timeline.push({ at_s: Math.round((Date.now() - t0) / 100) / 10, event });
  say(event);
};

// Whatever ends this process (error, signal, watchdog), no child and no Redis outlives it.
process.on("exit", killEveryChild);
process.once("SIGINT", () => process.exit(130));
process.once("SIGTERM", () => process.exit(143));
setTimeout(() => {
  say(`still running after ${WATCHDOG_MS / 1000} s: aborting`);
  process.exit(2);
}, WATCHDOG_MS).unref();

async function signUp(url: string): Promise<string> {
  const res = await fetch(`${url}/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "chaos@leadflow.example", password: "chaos-password-1" }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 201 || !body.access_token) {
    throw new Error(`signup answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

interface Goal {
  name: string;
  value: string;
  goal: string;
  pass: boolean | null;
}

async function main(): Promise<number> {
  const logDir = env.CHAOS_LOG_DIR ?? (await mkdtemp(join(tmpdir(), "leadflow-chaos-")));
  say(
    `leads ${LEADS} over ${SUBMIT_MS / 1000} s, ${WORKERS} worker(s) x concurrency ${WORKER_CONCURRENCY}, fault rate ${FAULT_RATE} over ${FAULT_KINDS.length} kinds, seed ${SEED}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}; logs in ${logDir}`,
  );

  let simulator: Simulator | undefined;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
  let api: (LoggedChild & { url: string }) | undefined;
  const workers: Array<LoggedChild | undefined> = [];
  const workerLogs: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  pool.on("error", () => {});

  try {
    await recreateDatabase(DATABASE_URL);
    mark(`database ${DATABASE_NAME} recreated and migrated`);
    redis = await startPrivateRedis();
    // Set once the workers exist: the poison lead's call kills whichever worker made it.
    let onPoisonCall: (remotePort: number | undefined) => void = () => {};
    simulator = await startSimulator({
      onCall: (call) => {
        arrivals.push(call.at);
        if (call.message.includes(POISON_MARKER)) onPoisonCall(call.remotePort);
      },
      port: 0,
      faultRates: FAULT_RATES,
      seed: SEED,
      latencyMs: { min: 5, max: 50 },
      retryAfterSeconds: 1,
    });
    const common: Record<string, string> = {
      NODE_ENV: "development",
      DATABASE_URL,
      REDIS_URL: redis.url,
      REDIS_PREFIX: "chaos",
      LLM_PROVIDER: "simulator",
      OPENAI_BASE_URL: simulator.url,
      LLM_TIMEOUT_MS: "1000",
      STEP_MAX_ATTEMPTS: String(STEP_SETTINGS.maxAttempts),
      STEP_MAX_REASKS: String(STEP_SETTINGS.maxReasks),
      STEP_MAX_TAKEOVERS: String(MAX_TAKEOVERS),
      ...(REQUESTS_PER_MINUTE ? { LLM_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE) } : {}),
      // One user sends every lead, and the 2 MB answers report half a million tokens each: no daily budget here.
      USER_DAILY_TOKEN_BUDGET: "0",
      STEP_BACKOFF_BASE_MS: "50",
      STEP_BACKOFF_CAP_MS: "500",
      RECONCILE_INTERVAL_MS: "1000",
      STALE_STEP_MS: "3000",
      WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
      WORKER_METRICS_PORT: "0",
      LOG_LEVEL: "warn",
    };
    api = await startApi(
      { ...common, LEADS_RATE_LIMIT: "1000000", AUTH_RATE_LIMIT: "1000", BCRYPT_COST: "10" },
      { logDir },
    );
    const token = await signUp(api.url);
    mark(`redis ${redis.url}, simulator ${simulator.url}, API ${api.url}, user signed up`);

    // Workers take a while to boot on a busy machine: kill one only once it consumes, or the kill tests nothing.
    const watch = watchWorkers(redis.url, common.REDIS_PREFIX!);
    closers.push(() => watch.close());
    const restarts: number[] = [];
    const ready: Array<Promise<void>> = [];
    const readyAt: number[] = [];
    const startWorker = (slot: number) => {
      restarts[slot] = (restarts[slot] ?? 0) + 1;
      const name = `worker-${String.fromCharCode(97 + slot)}-${restarts[slot]}`;
      const child = spawnWorker(common, { name, logDir });
      workerLogs.push(child.logFile);
      workers[slot] = child;
      ready[slot] = watch.until(WORKERS, BOOT_TIMEOUT_MS).then((ms) => {
        if (ms === null)
          throw new Error(`${name} did not start consuming within ${BOOT_TIMEOUT_MS / 1000} s`);
        readyAt[slot] = Date.now();
        if (restarts[slot]! > 1) mark(`${name} consuming ${(ms / 1000).toFixed(1)} s after its start`);
      });
      return child;
    };
    for (let slot = 0; slot < WORKERS; slot++) startWorker(slot);
    await Promise.all(ready);
    mark(`${WORKERS} worker(s) started and consuming`);

    let sent = 0;
    const inFlightSteps = async () =>
      (
        await pool.query<{ n: number }>(
          "select count(*)::int as n from workflow_steps where status = 'processing' and lease_until > now()",
        )
      ).rows[0]!.n;
    // The chaos, hung off the number of leads sent so far; each action runs beside the intake, never blocking it.
    let slotA: Promise<void> = Promise.resolve();
    const killWorker = () => {
      slotA = slotA.then(killAndRestartSlotA);
      return slotA;
    };
    const killAndRestartSlotA = async () => {
      await ready[0];
      // A worker that has only just attached holds nothing yet: give it a moment, and work in hand (bounded).
      await sleep(Math.max(0, readyAt[0]! + 2_000 - Date.now()));
      for (let waited = 0; waited < 10_000 && (await inFlightSteps()) === 0; waited += 250) await sleep(250);
      const victim = workers[0]!;
      const claimed = await inFlightSteps();
      const before = await snapshotClaims(pool);
      await victim.kill("SIGKILL");
      orphanReports.push(followOrphans(pool, victim.name, before, () => orphanDeadline));
      mark(
        `SIGKILLed ${victim.name} (pid ${victim.child.pid}) at ${sent} leads sent, ${claimed} steps claimed by the workers`,
      );
      await sleep(WORKER_DOWN_MS);
      const next = startWorker(0);
      mark(`restarted worker slot a as ${next.name} (pid ${next.child.pid})`);
      await ready[0];
    };
    let poisonLead: string | null = null;
    let poisonKills = 0;
    const slotChains: Array<Promise<void>> = [];
    onPoisonCall = (remotePort) => {
      const pid = remotePort === undefined ? null : pidOwningPort(remotePort);
      const slot = workers.findIndex((w) => w?.child.pid === pid && w.alive());
      if (slot < 0) {
        mark(`poison lead called from port ${remotePort}, but no live worker owns it`);
        return;
      }
      const victim = workers[slot]!;
      poisonKills++;
      slotChains[slot] = (slotChains[slot] ?? Promise.resolve()).then(async () => {
        await victim.kill("SIGKILL");
        mark(`the poison lead killed ${victim.name} (pid ${pid}), kill ${poisonKills}`);
        await sleep(WORKER_DOWN_MS);
        const next = startWorker(slot);
        mark(`restarted worker slot ${String.fromCharCode(97 + slot)} as ${next.name}`);
      });
    };
    const sendPoison = async () => {
      poisonLead = await submitPoison(api!.url, token);
      mark(`poison lead ${poisonLead} submitted`);
    };
    const restartRedis = async () => {
      await redis!.kill();
      redisDown.from = Date.now();
      mark(`SIGKILLed redis at ${sent} leads sent (everything in it is gone)`);
      await sleep(REDIS_DOWN_MS);
      await redis!.start();
      redisDown.to = Date.now();
      mark("redis restarted, empty");
      const ms = await watch.until(WORKERS, BOOT_TIMEOUT_MS);
      mark(
        ms === null
          ? "workers did not re-attach to Redis"
          : `workers consuming again ${(ms / 1000).toFixed(1)} s after the restart`,
      );
    };
    const orphanReports: Array<Promise<OrphanReport>> = [];
    let orphanDeadline = Date.now() + SUBMIT_MS + DRAIN_TIMEOUT_MS + 60_000;
    const schedule = [
      { at: Math.round(LEADS * 0.1), name: "send the poison lead", run: sendPoison },
      { at: Math.round(LEADS * 0.25), name: "kill worker slot a", run: killWorker },
      { at: Math.round(LEADS * 0.45), name: "kill redis", run: restartRedis },
      { at: Math.round(LEADS * 0.6), name: "kill worker slot a again", run: killWorker },
    ].map((action) => ({ ...action, started: null as Promise<void> | null }));

    mark(`submitting ${LEADS} leads`);
    let lastReport = 0;
    const intake: IntakeResult = await submitPaced({
      url: api.url,
      token,
      count: LEADS,
      durationMs: SUBMIT_MS,
      maxInFlight: MAX_IN_FLIGHT,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      retries: RETRIES,
      onSent: (count) => {
        sent = count;
        for (const action of schedule) {
          if (!action.started && sent >= action.at) {
            mark(`${sent} leads sent: ${action.name}`);
            action.started = action.run();
          }
        }
        if (sent - lastReport >= LEADS / 10) {
          lastReport = sent;
          say(`${sent} leads sent`);
        }
      },
    });
    const lastAnswer = Date.now();
    mark(
      `intake done: ${intake.accepted}/${intake.sent} answered 202 (${counts(intake.byStatus)}), most in flight ${intake.maxInFlight}`,
    );
    await Promise.all(schedule.map((a) => a.started));
    await Promise.all(slotChains);

    // The drain: every workflow terminal, or the deadline.
    const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
    let lastPrint = 0;
    let drained = false;
    for (;;) {
      const state = await progress(pool);
      const workflows = Object.values(state.byStatus).reduce((a, b) => a + b, 0);
      if (workflows > 0 && state.terminal === workflows) {
        drained = true;
        break;
      }
      if (Date.now() > drainDeadline) break;
      if (Date.now() - lastPrint > 5_000) {
        lastPrint = Date.now();
        say(`draining: ${state.terminal}/${workflows} terminal (${counts(state.byStatus)})`);
      }
      await sleep(500);
    }
    mark(
      drained
        ? `drained ${((Date.now() - lastAnswer) / 1000).toFixed(1)} s after the last answer`
        : `gave up after ${DRAIN_TIMEOUT_MS / 1000} s of drain`,
    );

    orphanDeadline = Date.now();
    const orphans = await Promise.all(orphanReports);
    await Promise.all(slotChains);
    const figures = await readFigures(pool);
    const bounds = await readBounds(pool, poisonLead, callCeiling(STEP_SETTINGS));
    const accounting = await accountLeads(pool, intake);
    let stuckReport = "";
    if (figures.stuck > 0 || figures.inconsistent > 0) {
      stuckReport = await describeStuck(pool);
      await writeFile(join(logDir, "stuck.txt"), `${stuckReport}\n`);
    }
    // Let the workers write their last lines before counting them.
    for (const w of workers) await w?.kill("SIGTERM");
    await api.kill("SIGTERM");
    const logs = await countLogs({ worker: workerLogs, api: [api.logFile] });

    return report({
      intake,
      figures,
      drained,
      accounting,
      orphans,
      stuckReport,
      logs,
      simulator: simulator.stats(),
      bounds,
      poisonKills,
      logDir,
    });
  } finally {
    await Promise.all(workers.map((w) => w?.kill("SIGKILL")));
    await api?.kill("SIGKILL");
    for (const close of closers) await close().catch(() => {});
    await redis?.kill();
    await simulator?.close();
    await pool.end().catch(() => {});
    killEveryChild();
  }
}

function report(run: {
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
    { name: "stuck (not terminal at the end)", value: String(f.stuck), goal: "0", pass: f.stuck === 0 },
    {
      name: "lost (acknowledged without a lead row; lead without workflow)",
      value: String(lost),
      goal: "0",
      pass: lost === 0,
    },
    {
      name: "duplicated workflows (per lead; leads beyond one per key)",
      value: `${duplicatedWorkflows} (${f.duplicateWorkflows} + ${extraLeads})`,
      goal: "0",
      pass: duplicatedWorkflows === 0,
    },
    {
      name: "duplicated step runs (2+ succeeded attempts; 2+ step_completed)",
      value: `${duplicatedSteps} (${f.duplicateSucceededAttempts} + ${f.duplicateCompletedEvents})`,
      goal: "0",
      pass: duplicatedSteps === 0,
    },
    {
      name: "failed workflows without a persisted reason",
      value: String(f.failedWithoutReason),
      goal: "0",
      pass: f.failedWithoutReason === 0,
    },
    {
      name: "persisted outputs failing their schema",
      value: String(f.invalidOutputs),
      goal: "0",
      pass: f.invalidOutputs === 0,
    },
    {
      name: "attempts untruthful (count != rows; numbering gaps)",
      value: `${untruthful} (${f.attemptsMismatch} + ${f.attemptNumberGaps})`,
      goal: "0",
      pass: untruthful === 0,
    },
    {
      name: "terminal workflows with inconsistent steps",
      value: String(f.inconsistent),
      goal: "0",
      pass: f.inconsistent === 0,
    },
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
    {
      name: "HTTP errors during intake (non-202)",
      value: httpErrors ? `${httpErrors} (${counts(withoutKey(intake.byStatus, "202"))})` : "0",
      goal: "0",
      pass: httpErrors === 0,
    },
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
      ...goals.map((g) => [g.name, g.value, g.goal, verdict(g.pass)]),
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

/**
 * Leads in PostgreSQL against what the sender was told, matched on the Idempotency-Key: an acknowledged lead must
 * have its row, with the id it was told; one row per key; no row without a key of ours.
 */
async function accountLeads(pool: pg.Pool, intake: IntakeResult) {
  const rows = (
    await pool.query<{ id: string; key: string | null }>("select id, idempotency_key as key from leads")
  ).rows;
  const byKey = new Map<string, string[]>();
  let rowsWithoutKey = 0;
  for (const r of rows) {
    if (r.key === POISON_KEY) continue; // sent on its own, not by the paced intake
    if (!r.key) rowsWithoutKey++;
    else byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.id]);
  }
  let ackedWithoutRow = 0;
  for (const [index, id] of intake.acked) {
    if (!byKey.get(idempotencyKey(index))?.includes(id)) ackedWithoutRow++;
  }
  const ackedKeys = new Set([...intake.acked.keys()].map(idempotencyKey));
  return {
    ackedWithoutRow,
    rowsWithoutKey,
    sameKeyExtraRows: [...byKey.values()].reduce((n, ids) => n + ids.length - 1, 0),
    rowsNeverAcked: [...byKey.keys()].filter((k) => !ackedKeys.has(k)).length,
  };
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

main().then(
  (code) => {
    process.exitCode = code;
    // The simulator's and pools' sockets are closed; anything left would only delay the exit.
    setTimeout(() => process.exit(code), 1_000).unref();
  },
  (err) => {
    say(`chaos run failed: ${(err as Error).stack ?? err}`);
    process.exit(2);
  },
);
