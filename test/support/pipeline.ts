import { loadConfig } from "@leadflow/core/config";
import { createLogger } from "@leadflow/core/logger";
import { type Simulator, startSimulator } from "../../functions/simulator/server.ts";
import { startWorker } from "../../functions/worker/worker.ts";
import { startTestApi, type TestApi } from "./api.ts";
import { fileEnv } from "./isolation.ts";

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/**
 * The whole system in one test process: the simulator over HTTP, the API (in-process requests), and a real
 * BullMQ worker. `name` gives the suite its own Redis prefix so no other suite's worker takes its jobs.
 */
export async function startPipeline(name: string, env: Record<string, string> = {}) {
  const simulator: Simulator = await startSimulator({ port: 0 });
  const suiteEnv = {
    REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-${name}`,
    LLM_PROVIDER: "simulator",
    OPENAI_BASE_URL: simulator.url,
    LLM_TIMEOUT_MS: "2000",
    STEP_MAX_ATTEMPTS: "3",
    STEP_MAX_REASKS: "2",
    STEP_BACKOFF_BASE_MS: "20",
    STEP_BACKOFF_CAP_MS: "200",
    WORKER_CONCURRENCY: "4",
    ...env,
  };
  const api: TestApi = await startTestApi(suiteEnv);
  const workerConfig = loadConfig({ ...process.env, NODE_ENV: "test", ...suiteEnv });
  const worker = startWorker(workerConfig, createLogger({ level: "silent", name: "test-worker" }));

  async function submit(token: string, lead: Record<string, unknown>) {
    const res = await api.call("POST", "/leads", { token, body: lead });
    if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${res.text}`);
    return res.json.id as string;
  }

  /** Polls the lead until its workflow is completed or failed (or the deadline passes). */
  async function waitForTerminal(token: string, id: string, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await api.call("GET", `/leads/${id}`, { token });
      const status = res.json?.workflow?.status;
      if (status === "completed" || status === "failed") return res.json;
      if (Date.now() > deadline)
        throw new Error(`workflow of lead ${id} still ${status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    api,
    simulator,
    worker,
    config: workerConfig,
    submit,
    waitForTerminal,
    attempts: async (token: string, id: string) =>
      (await api.call("GET", `/leads/${id}/attempts`, { token })).json.items,
    events: async (token: string, id: string) =>
      (await api.call("GET", `/leads/${id}/events`, { token })).json.items,
    async close() {
      await worker.close();
      await api.close();
      await simulator.close();
    },
  };
}
