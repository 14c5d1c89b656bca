import { Hono } from "hono";
import type { AppEnv } from "../env.ts";

const CHECK_TIMEOUT_MS = 1_500;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms).unref()),
  ]);
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
  .get("/metrics", async (c) => {
    const { registry } = c.var.deps.metrics;
    return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
  })
  // Each dependency of this deployment by name (database, and redis or queue), checked at once, each in time.
  .get("/readyz", async (c) => {
    const entries = Object.entries(c.var.deps.readiness);
    const results = await Promise.all(entries.map(([, work]) => check(work)));
    const checks = Object.fromEntries(entries.map(([name], i) => [name, results[i]!]));
    const ready = results.every((r) => r === "ok");
    return c.json({ status: ready ? "ok" : "unavailable", checks }, ready ? 200 : 503);
  });
