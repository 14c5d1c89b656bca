import { webhookId } from "@leadflow/core/webhooks/deliver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnWorker } from "../scripts/support/processes.ts";
import { sampleLead, startTestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";
import { waitFor } from "./support/wait.ts";
import { startReceiver, webhookEnv } from "./support/webhook-receiver.ts";

// A file of its own: the case stops the suite worker's webhook delivery (only the spawned workers may deliver),
// which no other case of webhooks.test.ts could then rely on, whatever order they run in.

let pipeline: Pipeline;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  pipeline = await startPipeline("webhooks-kill", webhookEnv);
  receiver = await startReceiver();
});
afterAll(async () => {
  await pipeline.close();
  await receiver.close();
});

describe("a worker killed between the outbox write and the delivery", () => {
  it("delivers the event once when a worker comes back", { timeout: 60_000 }, async () => {
    // The suite's own worker would deliver it meanwhile: from here on only the spawned ones deliver.
    await pipeline.worker.webhooks?.close();
    const env = {
      ...webhookEnv,
      REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-webhooks-kill`,
      LLM_PROVIDER: "simulator",
      OPENAI_BASE_URL: pipeline.simulator.url,
    };
    const api = await startTestApi(env);
    const user = await api.signup();
    const own = (method: string, path: string, body?: unknown) =>
      api.call(method, path, { token: user.token, body });
    const hook = (
      await own("POST", "/webhook-endpoints", { url: receiver.url("/after-kill"), events: ["lead.handled"] })
    ).json;
    const lead = (await own("POST", "/leads", sampleLead())).json;
    let worker = spawnWorker(env);
    try {
      await waitFor(
        async () =>
          (await own("GET", `/leads/${lead.id}`)).json.workflow.status === "completed" ? true : undefined,
        20_000,
        "the workflow",
      );
      await worker.kill("SIGKILL");
      await own("POST", `/leads/${lead.id}/handling`, { state: "closed" });
      const [written] = (await own("GET", `/webhook-endpoints/${hook.id}/deliveries`)).json.items;
      expect(written).toMatchObject({ event: "lead.handled", status: "pending", attempts: 0 });
      expect(receiver.receipts.filter((r) => r.path === "/after-kill")).toHaveLength(0);

      worker = spawnWorker(env);
      const delivered = await waitFor(
        async () => {
          const [d] = (await own("GET", `/webhook-endpoints/${hook.id}/deliveries`)).json.items;
          return d.status === "delivered" ? d : undefined;
        },
        20_000,
        "the delivery after the restart",
      );
      expect(delivered.attempts).toBe(1);
      const got = receiver.receipts.filter((r) => r.path === "/after-kill");
      expect(got).toHaveLength(1);
      expect(got[0]!.headers["webhook-id"]).toBe(webhookId(written.id));
    } finally {
      await worker.kill("SIGKILL");
      await api.close();
    }
  });
});
