import { serve } from "@hono/node-server";
import { loadConfig } from "@leadflow/core/config";
import { createApp } from "./app.ts";
import { createApiDeps } from "./deps.ts";

const config = loadConfig();
const deps = createApiDeps(config);
const server = serve(
  { fetch: createApp(deps).fetch, port: config.API_PORT, hostname: config.API_HOST },
  (info) =>
    deps.log.info(
      { host: config.API_HOST, port: info.port, llm_provider: config.LLM_PROVIDER },
      "api listening",
    ),
);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    deps.log.info({ signal }, "api shutting down");
    server.close(async () => {
      await deps.close();
      process.exit(0);
    });
  });
}
