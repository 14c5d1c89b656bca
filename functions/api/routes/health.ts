import { carriesBearer } from "@leadflow/core/auth/bearer";
import { Hono } from "hono";
import type { AppEnv, ReadinessChecks } from "../context.ts";
import { errorResponse } from "../errors.ts";

const CHECK_TIMEOUT_MS = 1_500;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms).unref()),
  ]);
}

/**
 * How long one readiness answer serves: each check is a database query and, on Lambda, SQS calls, so a caller
 * hammering /readyz must not turn into a load on them. Concurrent hits share the check in flight.
 */
export const READINESS_CACHE_MS = 2_000;

type Readiness = { ready: boolean; checks: Record<string, "ok" | "down"> };
const lastReadiness = new WeakMap<ReadinessChecks, { until: number; answer: Promise<Readiness> }>();

function readiness(checks: ReadinessChecks): Promise<Readiness> {
  const cached = lastReadiness.get(checks);
  if (cached && cached.until > Date.now()) return cached.answer;
  const answer = (async () => {
    const entries = Object.entries(checks);
    const results = await Promise.all(entries.map(([, work]) => check(work)));
    return {
      ready: results.every((r) => r === "ok"),
      checks: Object.fromEntries(entries.map(([name], i) => [name, results[i]!])),
    };
  })();
  lastReadiness.set(checks, { until: Date.now() + READINESS_CACHE_MS, answer });
  return answer;
}

const check = (work: () => Promise<unknown>) =>
  withTimeout(work(), CHECK_TIMEOUT_MS).then(
    () => "ok" as const,
    () => "down" as const,
  );

export const healthRoutes = new Hono<AppEnv>()
  .get("/healthz", (c) => c.json({ status: "ok" }))
  // Lets every client say plainly when answers come from the simulator rather than a real model.
  .get("/meta", (c) => {
    const { llm } = c.var.deps.config;
    return c.json({
      llm: { provider: llm.provider, model: llm.model, simulated: llm.simulated },
    });
  })
  // Route names, volumes and error rates are for the operator's scraper only, when METRICS_TOKEN says who that is.
  .get("/metrics", async (c) => {
    const { METRICS_TOKEN } = c.var.deps.config;
    if (METRICS_TOKEN && !carriesBearer(c.req.header("authorization"), METRICS_TOKEN)) {
      c.header("WWW-Authenticate", 'Bearer realm="leadflow-metrics"');
      return errorResponse(c, "unauthorized", "A valid metrics token is required.");
    }
    const { registry } = c.var.deps.metrics;
    return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
  })
  // Each dependency of this deployment by name (database, and redis or queue), checked at once, each in time.
  .get("/readyz", async (c) => {
    const { ready, checks } = await readiness(c.var.deps.readiness);
    return c.json({ status: ready ? "ok" : "unavailable", checks }, ready ? 200 : 503);
  });
