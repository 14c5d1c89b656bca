import { loadConfig } from "@leadflow/core/config";
import { createLogger } from "@leadflow/core/logger";
import { startWorker } from "./worker.ts";

const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, name: "leadflow-worker" });
const worker = startWorker(config, log);
log.info(
  { concurrency: config.WORKER_CONCURRENCY, llm_provider: config.LLM_PROVIDER, model: config.llm.model },
  "worker started",
);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    log.info({ signal }, "worker draining in-flight jobs");
    await worker.close();
    process.exit(0);
  });
}
