import { afterAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../functions/simulator/server.ts";
import { type NodeChild, spawnWorker } from "../scripts/support/processes.ts";
import { sampleLead, startTestApi, type TestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";
import { waitFor } from "./support/wait.ts";

const MAX_TAKEOVERS = 3;

let simulator: Simulator;
let api: TestApi;
let worker: NodeChild;
afterAll(async () => {
  await worker?.kill("SIGKILL");
  await api?.close();
  await simulator?.close();
});

describe("a poison lead: one that kills its worker on every delivery", () => {
  it(`fails with INTERNAL after ${MAX_TAKEOVERS} takeovers while other leads keep flowing`, {
    timeout: 120_000,
  }, async () => {
    let poisonCalls = 0;
    let restarts = Promise.resolve();
    const env: Record<string, string> = {
      REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-poison`,
      LLM_PROVIDER: "simulator",
      LLM_TIMEOUT_MS: "1000",
      STALE_STEP_MS: "1500",
      RECONCILE_INTERVAL_MS: "300",
      STEP_BACKOFF_BASE_MS: "20",
      STEP_MAX_TAKEOVERS: String(MAX_TAKEOVERS),
      WORKER_CONCURRENCY: "4",
    };
    // The moment the worker is inside the poison lead's model call, it dies, as a crash in that lead would do.
    simulator = await startSimulator({
      port: 0,
      onCall: (call) => {
        if (!call.message.includes("POISON")) return;
        poisonCalls++;
        restarts = restarts.then(async () => {
          await worker.kill("SIGKILL");
          worker = spawnWorker(env);
        });
      },
    });
    env.OPENAI_BASE_URL = simulator.url;
    api = await startTestApi(env);
    const { token } = await api.signup();
    worker = spawnWorker(env);

    const poison = (
      await api.call("POST", "/leads", {
        token,
        body: sampleLead({ message: "POISON [[sim classify=hang]]" }),
      })
    ).json.id as string;
    const healthy: string[] = [];
    const failedPoison = await waitFor(
      async () => {
        // Leads keep arriving while the poison one kills worker after worker.
        if (healthy.length < 6) {
          const res = await api.call("POST", "/leads", {
            token,
            body: sampleLead({ message: `Quote for a hedge trim, lead ${healthy.length}` }),
          });
          healthy.push(res.json.id);
        }
        const lead = (await api.call("GET", `/leads/${poison}`, { token })).json;
        return lead.workflow.status === "failed" ? lead : undefined;
      },
      100_000,
      "the poison lead to fail",
    );
    await restarts;

    expect(poisonCalls).toBe(MAX_TAKEOVERS);
    const classify = failedPoison.workflow.steps[0];
    expect(classify.status).toBe("failed");
    expect(classify.error).toEqual({
      code: "INTERNAL",
      message:
        `The step was lost ${MAX_TAKEOVERS} times: the worker running it stopped or hung each time, ` +
        "so it is not run again.",
      retryable: true,
    });
    expect(failedPoison.workflow.steps.slice(1).map((s: any) => s.status)).toEqual(["skipped", "skipped"]);

    for (const id of healthy) {
      const lead = await waitFor(
        async () => {
          const l = (await api.call("GET", `/leads/${id}`, { token })).json;
          return ["completed", "failed"].includes(l.workflow.status) ? l : undefined;
        },
        30_000,
        `healthy lead ${id}`,
      );
      expect({ id, status: lead.workflow.status, error: lead.workflow.error }).toEqual({
        id,
        status: "completed",
        error: null,
      });
    }
  });
});
