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
 *
 * This file runs the phases; bench/chaos/ holds the parts: settings (knobs), timeline (what the run records as it
 * goes), intake, workers, poison, orphans, logs, figures, accounting and report.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { FAULT_KINDS } from "../functions/simulator/faults.ts";
import { type Simulator, startSimulator } from "../functions/simulator/server.ts";
import {
  killEveryChild,
  type LoggedChild,
  sleep,
  spawnWorker,
  startApi,
  startPrivateRedis,
} from "../scripts/support/processes.ts";
import { accountLeads } from "./chaos/accounting.ts";
import { describeStuck, progress, readFigures } from "./chaos/figures.ts";
import { type IntakeResult, submitPaced } from "./chaos/intake.ts";
import { countLogs } from "./chaos/logs.ts";
import { followOrphans, type OrphanReport, snapshotClaims } from "./chaos/orphans.ts";
import { callCeiling, POISON_MARKER, pidOwningPort, readBounds, submitPoison } from "./chaos/poison.ts";
import { report } from "./chaos/report.ts";
import {
  BOOT_TIMEOUT_MS,
  DATABASE_NAME,
  DATABASE_URL,
  DRAIN_TIMEOUT_MS,
  FAULT_RATE,
  FAULT_RATES,
  LEADS,
  MAX_IN_FLIGHT,
  MAX_TAKEOVERS,
  REDIS_DOWN_MS,
  REQUEST_TIMEOUT_MS,
  REQUESTS_PER_MINUTE,
  RETRIES,
  SEED,
  STEP_SETTINGS,
  SUBMIT_MS,
  WATCHDOG_MS,
  WORKER_CONCURRENCY,
  WORKER_DOWN_MS,
  WORKERS,
} from "./chaos/settings.ts";
import { arrivals, mark, redisDown, say } from "./chaos/timeline.ts";
import { watchWorkers } from "./chaos/workers.ts";
import { recreateDatabase } from "./support/database.ts";
import { counts } from "./support/stats.ts";

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

async function main(): Promise<number> {
  const logDir = process.env.CHAOS_LOG_DIR ?? (await mkdtemp(join(tmpdir(), "leadflow-chaos-")));
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
