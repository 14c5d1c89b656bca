/**
 * Where one step's time goes, with nothing else running: submit a lead through core's submitLead, then call
 * core's runStep for classify, extract and route one after another (in this process), counting PostgreSQL
 * round trips (every pg Client#query: BEGIN and COMMIT included) and splitting the wall time into PostgreSQL,
 * the model call (HTTP to the simulator), the Redis enqueue, and the rest (CPU in this process: zod, prompt
 * building, drizzle, JSON).
 */
import { loadConfig } from "@leadflow/core/config";
import { connectDatabase } from "@leadflow/core/db/client";
import { submitLead } from "@leadflow/core/leads/submit";
import { createLlmClient } from "@leadflow/core/llm/client";
import type { LlmClient } from "@leadflow/core/llm/types";
import { createBullmqStepQueue } from "@leadflow/core/queue/bullmq";
import type { StepQueue } from "@leadflow/core/queue/port";
import { STEP_NAMES } from "@leadflow/core/schemas/workflow";
import { runStep } from "@leadflow/core/workflow/run-step";
import { stepRunnerSettings } from "@leadflow/core/workflow/settings";
import pg from "pg";
import { leadFor } from "./leads.ts";

export interface PhaseProfile {
  phase: string;
  roundTrips: number;
  transactions: number;
  totalMs: number;
  pgMs: number;
  llmMs: number;
  enqueueMs: number;
  otherMs: number;
  /** The statements of one sample, in order (first words only). */
  statements: string[];
}

interface Meter {
  roundTrips: number;
  transactions: number;
  pgMs: number;
  llmMs: number;
  enqueueMs: number;
  statements: string[];
}

const newMeter = (): Meter => ({
  roundTrips: 0,
  transactions: 0,
  pgMs: 0,
  llmMs: 0,
  enqueueMs: 0,
  statements: [],
});

function statementHead(arg: unknown): string {
  const text = typeof arg === "string" ? arg : ((arg as { text?: string })?.text ?? "?");
  return text.replace(/\s+/g, " ").trim().slice(0, 48);
}

export async function profileSteps(options: {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  simulatorUrl: string;
  userId: string;
  warmup: number;
  samples: number;
}): Promise<PhaseProfile[]> {
  let meter: Meter | null = null;
  const originalQuery = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const m = meter;
    if (!m) return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    m.roundTrips++;
    const head = statementHead(args[0]);
    if (/^begin/i.test(head)) m.transactions++;
    m.statements.push(head);
    const started = performance.now();
    const done = () => (m.pgMs += performance.now() - started);
    // pg-pool's own query (drizzle outside a transaction) passes a callback; a checked-out client gets a promise.
    const last = args.at(-1);
    if (typeof last === "function") {
      args[args.length - 1] = (...results: unknown[]) => {
        done();
        return (last as (...a: unknown[]) => unknown)(...results);
      };
    }
    const result = (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === "function") {
      (result as Promise<unknown>).then(done, done);
    }
    return result;
  } as typeof pg.Client.prototype.query;

  const database = connectDatabase(options.databaseUrl, 2);
  const realQueue = createBullmqStepQueue({ redisUrl: options.redisUrl, prefix: options.redisPrefix });
  const queue: StepQueue = {
    async enqueue(job, opts) {
      const started = performance.now();
      try {
        await realQueue.enqueue(job, opts);
      } finally {
        if (meter) meter.enqueueMs += performance.now() - started;
      }
    },
    close: () => realQueue.close(),
  };
  const realLlm = createLlmClient({
    baseURL: options.simulatorUrl,
    apiKey: "simulator",
    model: "leadflow-simulator",
    timeoutMs: 20_000,
  });
  const llm: LlmClient = {
    model: realLlm.model,
    async structured(request) {
      const started = performance.now();
      try {
        return await realLlm.structured(request);
      } finally {
        if (meter) meter.llmMs += performance.now() - started;
      }
    },
  };
  const config = loadConfig({ ...process.env, DATABASE_URL: options.databaseUrl, LOG_LEVEL: "silent" });
  const deps = { db: database.db, queue, llm, settings: stepRunnerSettings(config) };

  const phases = ["submit", ...STEP_NAMES] as const;
  const totals = Object.fromEntries(
    phases.map((p) => [p, { ...newMeter(), totalMs: 0, samples: 0, sample: [] as string[] }]),
  );
  try {
    for (let i = 0; i < options.warmup + options.samples; i++) {
      const measured = i >= options.warmup;
      const run = async (phase: (typeof phases)[number], work: () => Promise<unknown>) => {
        meter = newMeter();
        const started = performance.now();
        const outcome = await work();
        const elapsed = performance.now() - started;
        const m = meter;
        meter = null;
        if (phase !== "submit" && outcome !== "completed") {
          throw new Error(`profiling: ${phase} ended ${String(outcome)} instead of completed`);
        }
        if (!measured) return;
        const t = totals[phase]!;
        t.samples++;
        t.totalMs += elapsed;
        t.roundTrips += m.roundTrips;
        t.transactions += m.transactions;
        t.pgMs += m.pgMs;
        t.llmMs += m.llmMs;
        t.enqueueMs += m.enqueueMs;
        if (t.sample.length === 0) t.sample = m.statements;
      };
      let workflowId = "";
      await run("submit", async () => {
        const lead = await submitLead({ db: database.db, queue }, options.userId, leadFor(i));
        workflowId = lead.workflow.id;
      });
      for (const step of STEP_NAMES) {
        await run(step, () => runStep(deps, { workflowId, step, run: 1, try: 1 }));
      }
    }
  } finally {
    pg.Client.prototype.query = originalQuery;
    await queue.close();
    await database.close();
  }
  return phases.map((phase) => {
    const t = totals[phase]!;
    const n = Math.max(1, t.samples);
    const totalMs = t.totalMs / n;
    const pgMs = t.pgMs / n;
    const llmMs = t.llmMs / n;
    const enqueueMs = t.enqueueMs / n;
    return {
      phase,
      roundTrips: t.roundTrips / n,
      transactions: t.transactions / n,
      totalMs,
      pgMs,
      llmMs,
      enqueueMs,
      otherMs: Math.max(0, totalMs - pgMs - llmMs - enqueueMs),
      statements: t.sample,
    };
  });
}
