import { randomUUID } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { ApiDeps, AppEnv } from "../env.ts";

/** Puts the dependencies, a request id and a request-scoped logger on every request. */
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
    c.var.log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      "request",
    );
  });
