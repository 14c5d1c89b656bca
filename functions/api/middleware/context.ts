import { randomUUID } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { ApiDeps, AppEnv } from "../context.ts";

/** Puts the dependencies, a request id and a request-scoped logger on every request, and measures it. */
export const requestContext = (deps: ApiDeps) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    c.set("deps", deps);
    c.set("requestId", requestId);
    c.set("log", deps.log.child({ request_id: requestId }));
    c.header("X-Request-Id", requestId);
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    // The route pattern, not the path: one series per route, never one per lead id.
    const route = c.req.routePath === "/*" ? "unmatched" : c.req.routePath;
    deps.metrics.requests.observe({ method: c.req.method, route, status: String(c.res.status) }, seconds);
    c.var.log.info(
      { method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1000) },
      "request",
    );
  });
