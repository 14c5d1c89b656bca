import { createRoute } from "@hono/zod-openapi";
import { carriesBearer } from "@leadflow/core/auth/bearer";
import { z } from "zod";
import type { ReadinessChecks } from "../context.ts";
import { ApiError } from "../errors.ts";
import { errorAnswers, jsonAnswer, PUBLIC } from "../responses.ts";
import { router } from "../router.ts";

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

const checkResult = z.enum(["ok", "down"]);
// Only the dependencies of the deployment answering: Redis in processes and containers, SQS on Lambda.
const readinessAnswer = z.object({
  status: z.enum(["ok", "unavailable"]),
  checks: z.object({
    database: checkResult,
    redis: checkResult
      .optional()
      .describe("Where the API uses Redis (QUEUE_DRIVER=bullmq or RATE_LIMIT_STORE=redis)."),
    queue: checkResult.optional().describe("The SQS step queues (QUEUE_DRIVER=sqs)."),
  }),
});

type ReadinessAnswer = z.infer<typeof readinessAnswer>;

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "getHealth",
  summary: "The process is up",
  tags: ["operations"],
  ...PUBLIC,
  responses: { 200: jsonAnswer("Up.", z.object({ status: z.literal("ok") })) },
});

const meta = createRoute({
  method: "get",
  path: "/meta",
  operationId: "getMeta",
  summary: "Which model answers, and whether it is the simulator",
  tags: ["operations"],
  ...PUBLIC,
  responses: {
    200: jsonAnswer(
      "The model.",
      z.object({
        llm: z.object({
          provider: z.string(),
          model: z.string(),
          simulated: z.boolean().describe("By LLM_PROVIDER, or because the base URL is the simulator's."),
        }),
      }),
    ),
  },
});

const metrics = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  summary: "Prometheus text: requests by route and status",
  description: "With METRICS_TOKEN set, it needs `Authorization: Bearer <METRICS_TOKEN>`.",
  tags: ["operations"],
  security: [{ metricsToken: [] }, {}],
  responses: {
    200: { description: "The Prometheus exposition.", content: { "text/plain": { schema: z.string() } } },
    ...errorAnswers("unauthorized"),
  },
});

const readyz = createRoute({
  method: "get",
  path: "/readyz",
  operationId: "getReadiness",
  summary: "The deployment's dependencies answer: PostgreSQL, and Redis or the SQS queues",
  tags: ["operations"],
  ...PUBLIC,
  responses: {
    200: jsonAnswer("Ready.", readinessAnswer),
    503: jsonAnswer("A dependency is down.", readinessAnswer),
  },
});

export const healthRoutes = router()
  .openapi(healthz, (c) => c.json({ status: "ok" as const }, 200))
  // Lets every client say plainly when answers come from the simulator rather than a real model.
  .openapi(meta, (c) => {
    const { llm } = c.var.deps.config;
    return c.json({ llm: { provider: llm.provider, model: llm.model, simulated: llm.simulated } }, 200);
  })
  // Route names, volumes and error rates are for the operator's scraper only, when METRICS_TOKEN says who that is.
  .openapi(metrics, async (c) => {
    const { METRICS_TOKEN } = c.var.deps.config;
    if (METRICS_TOKEN && !carriesBearer(c.req.header("authorization"), METRICS_TOKEN)) {
      c.header("WWW-Authenticate", 'Bearer realm="leadflow-metrics"');
      throw new ApiError("unauthorized", "A valid metrics token is required.");
    }
    const { registry } = c.var.deps.metrics;
    return c.text(await registry.metrics(), 200, { "content-type": registry.contentType });
  })
  // Each dependency of this deployment by name (database, and redis or queue), checked at once, each in time.
  .openapi(readyz, async (c) => {
    const { ready, checks } = await readiness(c.var.deps.readiness);
    // The checks are this deployment's: database always, then redis or queue (assemble-deps.ts).
    const answer = {
      status: ready ? ("ok" as const) : ("unavailable" as const),
      checks: checks as ReadinessAnswer["checks"],
    };
    return ready ? c.json(answer, 200) : c.json(answer, 503);
  });
