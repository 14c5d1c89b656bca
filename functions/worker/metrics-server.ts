import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { carriesBearer } from "@leadflow/core/auth/bearer";
import type { Logger } from "@leadflow/core/logger";
import type { Registry } from "prom-client";

/**
 * The worker's own /metrics for Prometheus, behind `token` (METRICS_TOKEN) when one is set, and /healthz for a
 * container's health check (it says nothing but that the process answers). A port already taken is logged, not
 * fatal: metrics must never stop the worker from draining its queues.
 */
export function serveMetrics(registry: Registry, port: number, log: Logger, token?: string) {
  const server = createServer(async (req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (req.method !== "GET" || req.url !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    if (token && !carriesBearer(req.headers.authorization, token)) {
      res
        .writeHead(401, {
          "content-type": "text/plain",
          "www-authenticate": 'Bearer realm="leadflow-metrics"',
        })
        .end("a valid metrics token is required\n");
      return;
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType }).end(body);
    } catch (err) {
      log.error({ err }, "metrics collection failed");
      res.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n");
    }
  });
  server.on("error", (err) => log.error({ err, port }, "worker metrics server could not listen"));
  server.listen(port, "0.0.0.0", () =>
    log.info({ port: (server.address() as AddressInfo).port }, "worker metrics listening"),
  );
  return {
    port: () => (server.address() as AddressInfo | null)?.port ?? null,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
