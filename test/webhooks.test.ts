import { loadConfig } from "@leadflow/core/config";
import { createLogger } from "@leadflow/core/logger";
import type { DeliveryJob } from "@leadflow/core/queue/deliveries";
import { deliverWebhook, webhookId } from "@leadflow/core/webhooks/deliver";
import { guardedLookup, isForbiddenAddress, refuseTarget } from "@leadflow/core/webhooks/target";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead, startTestApi, type TestApi } from "./support/api.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";
import { waitFor } from "./support/wait.ts";
import { startReceiver, webhookEnv } from "./support/webhook-receiver.ts";

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

let pipeline: Pipeline;
let receiver: Receiver;
let token: string;
beforeAll(async () => {
  pipeline = await startPipeline("webhooks", webhookEnv);
  receiver = await startReceiver();
  token = (await pipeline.api.signup()).token;
});
afterAll(async () => {
  await pipeline.close();
  await receiver.close();
});

const call = (method: string, path: string, body?: unknown, as = token) =>
  pipeline.api.call(method, path, { token: as, body });

async function endpoint(events: string[], path: string, as = token) {
  const res = await call("POST", "/webhook-endpoints", { url: receiver.url(path), events }, as);
  expect(res.status).toBe(201);
  return res.json as { id: string; secret: string };
}

const atPath = (path: string) => () => {
  const got = receiver.receipts.filter((r) => r.path === path);
  return Promise.resolve(got.length ? got : undefined);
};

const deliveries = async (endpointId: string) =>
  (await call("GET", `/webhook-endpoints/${endpointId}/deliveries`)).json.items;

describe("webhook endpoints", () => {
  it("shows the secret once, in Standard Webhooks' format, and never again", async () => {
    const res = await call("POST", "/webhook-endpoints", {
      url: "https://hooks.example.com/leadflow",
      events: ["lead.routed", "lead.failed"],
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      url: "https://hooks.example.com/leadflow",
      events: ["lead.routed", "lead.failed"],
      status: "active",
    });
    expect(res.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(res.json.secret.slice(6), "base64")).toHaveLength(32);
    const list = await call("GET", "/webhook-endpoints");
    const listed = list.json.items.find((e: any) => e.id === res.json.id);
    expect(listed).toEqual({
      id: res.json.id,
      url: res.json.url,
      events: res.json.events,
      status: "active",
      created_at: res.json.created_at,
    });
    expect(list.text).not.toContain(res.json.secret.slice(6));
  });

  it("refuses bad input with validation_failed and another user's endpoint with 404", async () => {
    for (const body of [
      { url: "ftp://example.com", events: ["lead.routed"] },
      { url: "not a url", events: ["lead.routed"] },
      { url: "https://example.com", events: [] },
      { url: "https://example.com", events: ["lead.exploded"] },
      { url: "https://example.com", events: ["lead.routed", "lead.routed"] },
      { url: "https://example.com" },
    ]) {
      const res = await call("POST", "/webhook-endpoints", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.code).toBe("validation_failed");
    }
    const mine = await endpoint(["lead.routed"], "/mine");
    const stranger = await pipeline.api.signup();
    for (const [method, path] of [
      ["DELETE", `/webhook-endpoints/${mine.id}`],
      ["GET", `/webhook-endpoints/${mine.id}/deliveries`],
      ["POST", `/webhook-endpoints/${mine.id}/test`],
    ] as const) {
      const res = await call(method, path, undefined, stranger.token);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await call("GET", "/webhook-endpoints", undefined, stranger.token)).json.items).toEqual([]);
    expect((await call("DELETE", `/webhook-endpoints/${mine.id}`)).status).toBe(204);
    expect((await call("DELETE", `/webhook-endpoints/${mine.id}`)).status).toBe(404);
  });
});

describe("delivery", () => {
  it("delivers lead.routed signed so the standardwebhooks verifier accepts it, with the lead as GET shows it", async () => {
    const hook = await endpoint(["lead.routed"], "/routed");
    const id = await pipeline.submit(token, sampleLead());
    const [receipt] = await waitFor(atPath("/routed"), 20_000, "lead.routed");
    const verified = new Webhook(hook.secret).verify(
      receipt!.body,
      receipt!.headers as Record<string, string>,
    ) as any;
    expect(verified.type).toBe("lead.routed");
    expect(Date.parse(verified.timestamp)).toBeGreaterThan(0);
    const lead = (await call("GET", `/leads/${id}`)).json;
    expect(verified.data.lead).toMatchObject({
      id,
      workflow: { status: "completed" },
      effective: lead.effective,
    });
    expect(receipt!.headers["webhook-id"]).toMatch(/^msg_/);
    expect(Number(receipt!.headers["webhook-timestamp"])).toBeCloseTo(Date.now() / 1000, -2);
    // A body changed on the way does not verify.
    expect(() =>
      new Webhook(hook.secret).verify(
        receipt!.body.replace("lead.routed", "lead.failed"),
        receipt!.headers as any,
      ),
    ).toThrow();
  });

  it("retries 500, 500, then 200 under one webhook-id with the same body, and logs the delivery", async () => {
    const hook = await endpoint(["lead.handled"], "/flaky");
    receiver.answerWith((r, before) => ({ status: r.path === "/flaky" && before < 2 ? 500 : 200 }));
    const id = await pipeline.submit(token, sampleLead());
    await pipeline.waitForTerminal(token, id);
    await call("POST", `/leads/${id}/handling`, { state: "answered" });
    const receipts = await waitFor(
      async () => {
        const got = receiver.receipts.filter((r) => r.path === "/flaky");
        return got.length >= 3 ? got : undefined;
      },
      20_000,
      "three tries",
    );
    receiver.answerWith(() => ({ status: 200 }));
    expect(receipts.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(receipts.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(new Set(receipts.map((r) => r.body)).size).toBe(1);
    for (const r of receipts)
      expect(() => new Webhook(hook.secret).verify(r.body, r.headers as any)).not.toThrow();
    expect(JSON.parse(receipts[0]!.body)).toMatchObject({ type: "lead.handled", data: { lead: { id } } });
    const [logged] = await waitFor(
      async () => {
        const items = await deliveries(hook.id);
        return items[0]?.status === "delivered" ? items : undefined;
      },
      5_000,
      "the delivery to be logged",
    );
    expect(logged).toMatchObject({ event: "lead.handled", lead_id: id, attempts: 3, last_status_code: 200 });
    expect(`msg_${logged.id}`).toBe(receipts[0]!.headers["webhook-id"]);
  });

  it("disables the endpoint on 410 and sends it nothing more", async () => {
    const hook = await endpoint(["lead.corrected"], "/gone");
    receiver.answerWith((r) => ({ status: r.path === "/gone" ? 410 : 200 }));
    const id = await pipeline.submit(token, sampleLead());
    await pipeline.waitForTerminal(token, id);
    await call("POST", `/leads/${id}/corrections`, { queue: "ignore", reason: "test" });
    await waitFor(
      async () => {
        const e = (await call("GET", "/webhook-endpoints")).json.items.find((x: any) => x.id === hook.id);
        return e.status === "disabled" ? e : undefined;
      },
      10_000,
      "the endpoint to be disabled",
    );
    receiver.answerWith(() => ({ status: 200 }));
    const [failed] = await deliveries(hook.id);
    expect(failed).toMatchObject({
      status: "failed",
      attempts: 1,
      last_status_code: 410,
      next_attempt_at: null,
    });
    await call("POST", `/leads/${id}/corrections`, { queue: "support", reason: "again" });
    expect(await deliveries(hook.id)).toHaveLength(1);
    expect(receiver.receipts.filter((r) => r.path === "/gone")).toHaveLength(1);
  });

  it("sends a ping on request, and a resend repeats a delivery under its webhook-id", async () => {
    const hook = await endpoint(["lead.routed"], "/ping");
    const ping = await call("POST", `/webhook-endpoints/${hook.id}/test`);
    expect(ping.status).toBe(202);
    const [first] = await waitFor(atPath("/ping"), 10_000, "the ping");
    const body = new Webhook(hook.secret).verify(first!.body, first!.headers as any) as any;
    expect(body).toMatchObject({ type: "ping", data: { endpoint_id: hook.id } });
    await waitFor(
      async () => ((await deliveries(hook.id))[0]?.status === "delivered" ? true : undefined),
      5_000,
      "the ping to be logged",
    );
    const resend = await call(
      "POST",
      `/webhook-endpoints/${hook.id}/deliveries/${ping.json.delivery_id}/resend`,
    );
    expect(resend.status).toBe(202);
    const both = await waitFor(
      async () => {
        const got = receiver.receipts.filter((r) => r.path === "/ping");
        return got.length >= 2 ? got : undefined;
      },
      10_000,
      "the resend",
    );
    expect(both[1]!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(both[1]!.body).toBe(first!.body);
  });

  it("delivers 1,000 events to a slow receiver failing 20% of first tries: none lost, none twice", {
    timeout: 120_000,
  }, async () => {
    const hook = await endpoint(["lead.routed"], "/slow");
    receiver.answerWith((r, before) => {
      if (r.path !== "/slow") return { status: 200 };
      const failFirst =
        before === 0 && Number.parseInt(String(r.headers["webhook-id"]).slice(-2), 16) % 5 === 0;
      return { status: failFirst ? 503 : 200, delayMs: 25 };
    });
    const sent: string[] = [];
    for (let batch = 0; batch < 50; batch++) {
      const queued = await Promise.all(
        Array.from({ length: 20 }, () => call("POST", `/webhook-endpoints/${hook.id}/test`)),
      );
      sent.push(...queued.map((r) => r.json.delivery_id as string));
    }
    await waitFor(
      async () => {
        const { rows } = await pipeline.api.deps.database.pool.query(
          "select count(*) filter (where status = 'delivered')::int as delivered from webhook_deliveries where endpoint_id = $1",
          [hook.id],
        );
        return rows[0].delivered === 1000 ? true : undefined;
      },
      100_000,
      "1,000 deliveries",
      200,
    );
    receiver.answerWith(() => ({ status: 200 }));
    const slow = receiver.receipts.filter((r) => r.path === "/slow");
    const accepted = slow.filter((r) => r.answered === 200).map((r) => String(r.headers["webhook-id"]));
    expect(new Set(accepted).size).toBe(1000);
    expect(accepted).toHaveLength(1000);
    expect(new Set(accepted)).toEqual(new Set(sent.map(webhookId)));
    expect(slow.some((r) => r.answered === 503)).toBe(true);
  });
});

describe("SSRF protection (WEBHOOK_ALLOW_PRIVATE unset)", () => {
  let strict: TestApi;
  beforeAll(async () => {
    strict = await startTestApi({ WEBHOOK_ALLOW_PRIVATE: "false" });
  });
  afterAll(() => strict.close());

  it("refuses plain http and hosts that are or resolve to loopback, private or link-local addresses", async () => {
    const { token: own } = await strict.signup();
    for (const url of [
      "http://hooks.example.com/x",
      "https://localhost/x",
      "https://127.0.0.1/x",
      "https://[::1]/x",
      "https://10.1.2.3/x",
      "https://192.168.0.10/x",
      "https://169.254.169.254/latest/meta-data",
      "https://[::ffff:127.0.0.1]/x",
    ]) {
      const res = await strict.call("POST", "/webhook-endpoints", {
        token: own,
        body: { url, events: ["lead.routed"] },
      });
      expect(res.status, url).toBe(400);
      expect(res.json.error.details[0].path).toBe("url");
    }
    expect(await refuseTarget("https://203.0.113.9/x", false)).toBeNull();
    expect(
      ["10.0.0.1", "172.20.1.1", "100.64.0.1", "fe80::1", "fd00::1", "0.0.0.0"].every(isForbiddenAddress),
    ).toBe(true);
    expect(["8.8.8.8", "2606:4700::1111"].some(isForbiddenAddress)).toBe(false);
  });

  it("checks again at connect time: a host that resolves to 127.0.0.1 is never connected to", async () => {
    // What a DNS rebind leaves behind: an endpoint accepted once whose host now resolves to loopback.
    const { userId } = await strict.signup();
    const pool = strict.deps.database.pool;
    const {
      rows: [row],
    } = await pool.query(
      "insert into webhook_endpoints (user_id, url, events, secret) values ($1, $2, '{lead.routed}', $3) returning id",
      [
        userId,
        `http://localhost:${receiver.port}/rebound`,
        `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
      ],
    );
    const {
      rows: [delivery],
    } = await pool.query(
      `insert into webhook_deliveries (endpoint_id, user_id, event, payload) values ($1, $2, 'ping', '{"type":"ping"}') returning id`,
      [row.id, userId],
    );
    const enqueued: DeliveryJob[] = [];
    const config = loadConfig({ ...process.env, NODE_ENV: "test" });
    const result = await deliverWebhook(
      {
        db: strict.deps.database.db,
        queue: { enqueue: async (jobs) => void enqueued.push(...jobs), close: async () => {} },
        settings: { maxAttempts: config.WEBHOOK_MAX_ATTEMPTS, backoffBaseMs: 1000, allowPrivate: false },
        log: createLogger({ level: "silent", name: "test" }),
      },
      { deliveryId: delivery.id, attempt: 1 },
    );
    expect(result).toBe("retrying");
    expect(enqueued).toEqual([{ deliveryId: delivery.id, attempt: 2 }]);
    const { rows } = await pool.query("select last_error from webhook_deliveries where id = $1", [
      delivery.id,
    ]);
    expect(rows[0].last_error).toMatch(/refused: localhost resolves to a loopback/);
    expect(receiver.receipts.filter((r) => r.path === "/rebound")).toHaveLength(0);
    const looked = await new Promise<string | null>((resolve) =>
      guardedLookup(false)("localhost", {}, (err) => resolve(err ? err.message : null)),
    );
    expect(looked).toMatch(/loopback/);
  });
});
