import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { StructuredResult } from "./llm/types.ts";
import type { QueueStats } from "./queue/port.ts";
import type { StepName } from "./schemas/workflow.ts";

/** What the step runner reports as it goes; the metrics below are one listener, tests may be another. */
export interface StepObserver {
  modelCall(step: StepName, result: StructuredResult<unknown>): void;
  stepFinished(step: StepName, outcome: string, code: string | null, durationMs: number): void;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The worker's metrics: steps, model calls and queues. One registry per process, served on /metrics. */
export function createWorkerMetrics(queueStats?: () => Promise<QueueStats>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "leadflow_worker_" });
  const stepDuration = new Histogram({
    name: "leadflow_step_duration_seconds",
    help: "Time one delivery of a step took, from claim to its outcome.",
    labelNames: ["step", "outcome"],
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const stepOutcomes = new Counter({
    name: "leadflow_step_outcomes_total",
    help: "Step deliveries by outcome and error code (code is 'none' on success).",
    labelNames: ["step", "outcome", "code"],
    registers: [registry],
  });
  const llmLatency = new Histogram({
    name: "leadflow_llm_call_duration_seconds",
    help: "Latency of one model call, by step and outcome.",
    labelNames: ["step", "outcome"],
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const llmTokens = new Counter({
    name: "leadflow_llm_tokens_total",
    help: "Tokens the model reported, by step and kind (prompt, completion).",
    labelNames: ["step", "kind"],
    registers: [registry],
  });
  const llmErrors = new Counter({
    name: "leadflow_llm_call_errors_total",
    help: "Model calls that did not produce a valid answer, by step and error code.",
    labelNames: ["step", "code"],
    registers: [registry],
  });
  if (queueStats) {
    const snapshot = () => queueStats();
    let pending: Promise<QueueStats> | null = null;
    // Both gauges read one snapshot per scrape.
    const read = () => {
      pending ??= snapshot().finally(() => setTimeout(() => (pending = null), 0));
      return pending;
    };
    new Gauge({
      name: "leadflow_queue_jobs",
      help: "Jobs in each step queue by state.",
      labelNames: ["step", "state"],
      registers: [registry],
      async collect() {
        for (const [step, s] of Object.entries(await read())) {
          for (const state of ["waiting", "delayed", "active", "failed"] as const) {
            const count = s[state];
            if (count !== null) this.set({ step, state }, count);
          }
        }
      },
    });
    new Gauge({
      name: "leadflow_queue_oldest_waiting_age_seconds",
      help: "Age of the oldest job waiting in each step queue (0 when none waits).",
      labelNames: ["step"],
      registers: [registry],
      async collect() {
        for (const [step, s] of Object.entries(await read())) {
          if (s.oldestWaitingAgeMs !== null) this.set({ step }, s.oldestWaitingAgeMs / 1000);
        }
      },
    });
  }
  const observer: StepObserver = {
    modelCall(step, result) {
      llmLatency.observe({ step, outcome: result.outcome }, result.call.latencyMs / 1000);
      if (result.call.tokens) {
        llmTokens.inc({ step, kind: "prompt" }, result.call.tokens.prompt);
        llmTokens.inc({ step, kind: "completion" }, result.call.tokens.completion);
      }
      if (result.outcome !== "ok") llmErrors.inc({ step, code: result.error.code });
    },
    stepFinished(step, outcome, code, durationMs) {
      stepDuration.observe({ step, outcome }, durationMs / 1000);
      stepOutcomes.inc({ step, outcome, code: code ?? "none" });
    },
  };
  return { registry, observer };
}

/** The API's metrics: requests by route and status. */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "leadflow_api_" });
  const requests = new Histogram({
    name: "leadflow_http_request_duration_seconds",
    help: "HTTP requests by method, route pattern and status.",
    labelNames: ["method", "route", "status"],
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const leadsAccepted = new Counter({
    name: "leadflow_leads_accepted_total",
    help: "Leads accepted (202), and replays of an Idempotency-Key (200).",
    labelNames: ["replayed"],
    registers: [registry],
  });
  return { registry, requests, leadsAccepted };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
