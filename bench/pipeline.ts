/**
 * `npm run bench:pipeline`: the workflow engine end to end, on this machine.
 *
 *   Run 1   2,000 leads, zero-latency simulator, for a few WORKER_CONCURRENCY values: workflows/s (first
 *           submit to last completion, from PostgreSQL's created_at/finished_at), queue wait p50/p99 per step
 *           (enqueue, the job's timestamp in its queue, to the step's claim in PostgreSQL) and the hand-off from
 *           the commit before it, against an anchor: a chain of three no-op jobs through the same step queues
 *           at the same concurrency on the same Redis (chains/s).
 *   Run 1b  The same pipeline paced at a quarter of the best throughput: queue wait when the queues are not
 *           backlogged.
 *   Profile One lead at a time through runStep in this process: PostgreSQL round trips and time split per step.
 *   Run 2   1,000 leads with 500 ms model latency, against the ideal for the configured concurrency.
 *
 * Leads go in through core's submitLead in this process (not the HTTP API: the API is bench/ingest.ts's
 * subject). The simulator runs in this process; the worker runs in a child process (bench/support/
 * worker-child.ts: functions/worker's startWorker) so it never shares an event loop with the load generator.
 * Its own database (leadflow_bench_pipeline, dropped, created and migrated each run) and Redis prefix
 * (cleaned at start and end). Bounded: BENCH_TIMEOUT_MS (default 5 min), then every child is killed. The parts
 * are in bench/pipeline/: settings (knobs), setup, anchor, load, run, figures, report, goals.
 *
 * Knobs (env): BENCH_LEADS (2000), BENCH_CONCURRENCIES ("8,16,32"), BENCH_POOL_SIZE (worker DATABASE_POOL_SIZE,
 * default 20), BENCH_LATENCY_LEADS (1000), BENCH_LATENCY_MS (500), BENCH_LATENCY_CONCURRENCY (50),
 * BENCH_WORKER_PROCESSES (1), BENCH_WORKER_DATABASE_URL (the worker's own way to the same database),
 * BENCH_WORKER_CPU_PROF (a directory for the worker's --cpu-prof), BENCH_SKIP_ANCHOR=1, BENCH_TIMEOUT_MS,
 * BENCH_STRICT=1 (exit 1 on a missed goal; lost or failed workflows always exit 1).
 */
import { loadavg } from "node:os";
import { type AnchorResult, runAnchor } from "./pipeline/anchor.ts";
import type { PipelineResult } from "./pipeline/figures.ts";
import { judge, printGoals } from "./pipeline/goals.ts";
import { printTables } from "./pipeline/report.ts";
import { type RunProgress, runPipeline } from "./pipeline/run.ts";
import {
  BENCH_STARTED,
  CONCURRENCIES,
  DATABASE_NAME,
  DATABASE_URL,
  DEADLINE_AT,
  LATENCY_CONCURRENCY,
  LATENCY_LEADS,
  LATENCY_MS,
  LEADS,
  POOL_SIZE,
  PROFILE_PREFIX,
  REDIS_PREFIX,
  REDIS_URL,
  SKIP_ANCHOR,
  STRICT,
  TIMEOUT_MS,
  WORKER_DATABASE_URL,
  WORKER_PROCESSES,
} from "./pipeline/settings.ts";
import { openPipelineBench } from "./pipeline/setup.ts";
import { killAllChildren } from "./support/child.ts";
import { profileSteps } from "./support/profile.ts";
import { fmt, sleep } from "./support/stats.ts";

const log = (line = "") => process.stdout.write(`${line}\n`);

/** What is known so far, printed as the JSON line even when the deadline cuts the bench short. */
const progress: { finished: Record<string, unknown>; current: RunProgress | null } = {
  finished: {},
  current: null,
};
const track = (current: RunProgress) => {
  progress.current = current;
};
/** Set once the bench holds connections: closes them and cleans its Redis keys (also on the deadline). */
let releaseAll: (() => Promise<void>) | null = null;

async function main() {
  const startedAt = BENCH_STARTED;
  log(`leadflow pipeline benchmark  (${new Date().toISOString()}, node ${process.version})`);
  log(
    `machine: ${navigator.hardwareConcurrency} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at start; PostgreSQL ${DATABASE_NAME}, Redis prefix ${REDIS_PREFIX}`,
  );
  log(
    "set-up: leads via core submitLead in the bench process (16 in flight); simulator in the bench process;",
  );
  log(
    `        worker in ${WORKER_PROCESSES} child process(es) (bench/support/worker-child.ts = functions/worker startWorker),`,
  );
  log(
    `        worker env: DATABASE_POOL_SIZE=${POOL_SIZE} (3 queues x concurrency jobs share it), LOG_LEVEL=warn, WORKER_METRICS_PORT=0${WORKER_DATABASE_URL === DATABASE_URL ? "" : `, DATABASE_URL=${WORKER_DATABASE_URL}`}`,
  );
  log();

  const bench = await openPipelineBench();
  releaseAll = bench.close;
  try {
    // Run 1: throughput at a few concurrencies, each next to its anchor.
    log(`Run 1: ${LEADS} leads, zero-latency simulator, WORKER_CONCURRENCY in ${CONCURRENCIES.join(", ")}`);
    const anchors: AnchorResult[] = [];
    const throughput: PipelineResult[] = [];
    const skipped: number[] = [];
    progress.finished.anchors = anchors;
    progress.finished.run1 = throughput;
    for (const concurrency of CONCURRENCIES) {
      // Keep the whole bench inside its deadline: after 45% of it, the other concurrencies are left out.
      if (throughput.length > 0 && Date.now() - startedAt > 0.45 * TIMEOUT_MS) {
        skipped.push(concurrency);
        continue;
      }
      if (!SKIP_ANCHOR) {
        const anchor = await runAnchor(bench, concurrency, LEADS);
        anchors.push(anchor);
        log(`  anchor   c=${concurrency}: ${fmt(anchor.chainsPerSecond, 0)} chains/s`);
      }
      const result = await runPipeline(
        bench,
        {
          label: `run1-c${concurrency}`,
          leads: LEADS,
          concurrency,
          latencyMs: 0,
        },
        track,
      );
      throughput.push(result);
      log(
        `  pipeline c=${concurrency}: ${fmt(result.workflowsPerSecond, 1)} workflows/s  (${result.status.completed} completed, ${result.status.failed} failed, ${result.status.other} other)`,
      );
    }
    if (skipped.length) {
      log(
        `  (left out c=${skipped.join(", ")}: ${fmt((Date.now() - startedAt) / 1000, 0)} s gone of the ${TIMEOUT_MS / 1000} s budget)`,
      );
    }
    const best = throughput.reduce((a, b) => (b.workflowsPerSecond > a.workflowsPerSecond ? b : a));
    const bestAnchor = anchors.find((a) => a.concurrency === best.concurrency) ?? null;

    // Run 1b: queue wait without a backlog (paced at a quarter of the best throughput, so the
    // run stays clear of saturation even when other load on the machine comes and goes).
    const pacedRate = Math.max(5, Math.round(best.workflowsPerSecond / 4));
    // About 12 s of arrivals, at most 600 leads.
    const pacedLeads = Math.min(LEADS, 600, pacedRate * 12);
    log(`Run 1b: ${pacedLeads} leads paced at ${pacedRate}/s (a quarter of the best), c=${best.concurrency}`);
    const paced = await runPipeline(
      bench,
      {
        label: "run1b-paced",
        leads: pacedLeads,
        concurrency: best.concurrency,
        latencyMs: 0,
        pacedPerSecond: pacedRate,
      },
      track,
    );

    progress.finished.run1b = paced;
    // Profile: round trips and time split per step, one lead at a time.
    log("Profile: 30 leads one at a time through submitLead and runStep in this process");
    let profile: Awaited<ReturnType<typeof profileSteps>> = [];
    if (Date.now() < DEADLINE_AT) {
      await bench.reset();
      bench.simulator.configure({ latencyMs: 0 });
      profile = await profileSteps({
        databaseUrl: DATABASE_URL,
        redisUrl: REDIS_URL,
        redisPrefix: PROFILE_PREFIX,
        simulatorUrl: bench.simulator.url,
        userId: bench.userId,
        warmup: 5,
        samples: 30,
      });
    }

    progress.finished.profile = profile;
    // Run 2: model latency.
    log(
      `Run 2: ${LATENCY_LEADS} leads, ${LATENCY_MS} ms model latency, WORKER_CONCURRENCY=${LATENCY_CONCURRENCY}`,
    );
    const latency = await runPipeline(
      bench,
      {
        label: "run2-latency",
        leads: LATENCY_LEADS,
        concurrency: LATENCY_CONCURRENCY,
        latencyMs: LATENCY_MS,
      },
      track,
    );

    const outcome = judge({
      startedAt,
      throughput,
      anchors,
      skipped,
      best,
      bestAnchor,
      paced,
      pacedRate,
      profile,
      latency,
    });
    printTables(outcome);
    return printGoals(outcome, STRICT);
  } finally {
    releaseAll = null;
    await bench.close();
  }
}

let timedOut = false;
const watchdog = setTimeout(async () => {
  timedOut = true;
  process.stderr.write(`bench:pipeline: gave up after ${TIMEOUT_MS / 1000} s; killing its processes\n`);
  killAllChildren();
  const current = progress.current;
  if (current) {
    log(
      `  cut short in ${current.label}: ${current.ended}/${current.leads} workflows ended after ${fmt(current.elapsedMs / 1000, 1)} s (${fmt(current.ended / (current.elapsedMs / 1000), 1)}/s)`,
    );
  }
  log(JSON.stringify({ bench: "pipeline", timedOut: true, timeoutMs: TIMEOUT_MS, ...progress }));
  if (releaseAll) await Promise.race([releaseAll().catch(() => {}), sleep(5_000)]);
  process.exit(1);
}, TIMEOUT_MS);
watchdog.unref();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  (code) => {
    killAllChildren();
    process.exit(code);
  },
  (err) => {
    if (timedOut) return; // the deadline's handler reports and exits; this is its closing connections
    process.stderr.write(
      `bench:pipeline failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    killAllChildren();
    process.exit(1);
  },
);
