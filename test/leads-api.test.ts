import { createBullmqStepQueue } from "@leadflow/core/queue/bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead, startTestApi, type TestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";

let api: TestApi;
beforeAll(async () => {
  // Queues of its own: the first test counts the classify jobs.
  api = await startTestApi({ REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-leads-api` });
});
afterAll(() => api.close());

describe("POST /leads", () => {
  it("answers 202 with a pending workflow of three not_started steps and queues the first step", async () => {
    const { token } = await api.signup();
    const res = await api.call("POST", "/leads", { token, body: sampleLead() });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      status: "pending",
      name: "Dana Whitfield",
      contact_channel: "whatsapp",
      // Written through the API, not delivered by a channel connection: whatsapp is only how to reach them.
      source: null,
    });

    const detail = await api.call("GET", `/leads/${res.json.id}`, { token });
    expect(detail.status).toBe(200);
    // The 202 and every later read show the same instant, to the millisecond (both cut the microseconds).
    expect(detail.json.created_at).toBe(res.json.created_at);
    expect(detail.json.workflow.created_at).toBe(res.json.workflow.created_at);
    expect(detail.json.workflow.status).toBe("pending");
    expect(
      detail.json.workflow.steps.map((s: { name: string; status: string; attempts: number }) => [
        s.name,
        s.status,
        s.attempts,
      ]),
    ).toEqual([
      ["classify", "not_started", 0],
      ["extract", "not_started", 0],
      ["route", "not_started", 0],
    ]);

    // One classify job waits (this suite's first lead), under the workflow's first delivery id: enqueueing
    // that job again adds nothing.
    const queue = createBullmqStepQueue({ redisUrl: api.config.REDIS_URL, prefix: api.config.REDIS_PREFIX });
    try {
      expect((await queue.stats()).classify.waiting).toBe(1);
      await queue.enqueue({ workflowId: detail.json.workflow.id, step: "classify", run: 1, try: 1 });
      expect((await queue.stats()).classify.waiting).toBe(1);
    } finally {
      await queue.close();
    }
  });

  it("stores name and message exactly as sent", async () => {
    const { token } = await api.signup();
    const lead = sampleLead({
      name: "  Zoë 🦊 O'Brien\t",
      message: "  leading and trailing spaces \n\n",
      contact: null,
    });
    const res = await api.call("POST", "/leads", { token, body: lead });
    expect(res.status).toBe(202);
    const detail = await api.call("GET", `/leads/${res.json.id}`, { token });
    expect(detail.json.name).toBe(lead.name);
    expect(detail.json.message).toBe(lead.message);
    expect(detail.json.contact).toBeNull();
  });

  it.each([
    ["a missing name", { name: undefined }, ["name"]],
    ["a whitespace-only message", { message: " \n\t " }, ["message"]],
    ["a 201-character name", { name: "x".repeat(201) }, ["name"]],
    ["a 5001-character message", { message: "m".repeat(5001) }, ["message"]],
    ["an unknown channel", { contact_channel: "fax" }, ["contact_channel"]],
    ["a number as the message", { message: 42 }, ["message"]],
    ["an unknown field", { priority: "p0" }, ["(body)"]],
    ["several problems at once", { name: "", contact_channel: "sms" }, ["name", "contact_channel"]],
  ])(
    "refuses %s with validation_failed and the field paths, writing nothing",
    async (_label, overrides, paths) => {
      const { token } = await api.signup();
      const res = await api.call("POST", "/leads", { token, body: sampleLead(overrides) });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("validation_failed");
      expect(res.json.error.details.map((d: { path: string }) => d.path).sort()).toEqual([...paths].sort());
      const list = await api.call("GET", "/leads", { token });
      expect(list.json.items).toEqual([]);
    },
  );

  it("accepts exactly 200 and 5000 characters, counting an emoji once", async () => {
    const { token } = await api.signup();
    const res = await api.call("POST", "/leads", {
      token,
      body: sampleLead({ name: "🦊".repeat(200), message: "m".repeat(5000) }),
    });
    expect(res.status).toBe(202);
  });
});

describe("HTTP errors", () => {
  it("answers malformed JSON with 400 invalid_json", async () => {
    const { token } = await api.signup();
    const res = await api.call("POST", "/leads", { token, body: '{"name": "Dana",' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { code: "invalid_json", message: expect.any(String) } });
  });

  it("answers a body over 64 KiB with 413 payload_too_large", async () => {
    const { token } = await api.signup();
    const res = await api.call("POST", "/leads", {
      token,
      body: sampleLead({ message: "x".repeat(70 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe("payload_too_large");
  });

  it("answers a body that is not application/json with 415 unsupported_media_type, writing nothing", async () => {
    const { token } = await api.signup();
    const body = JSON.stringify(sampleLead());
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded"]) {
      const res = await api.call("POST", "/leads", { token, body, headers: { "content-type": contentType } });
      expect(res.status).toBe(415);
      expect(res.json).toEqual({ error: { code: "unsupported_media_type", message: expect.any(String) } });
    }
    for (const route of ["/auth/signup", "/auth/login"]) {
      const res = await api.call("POST", route, {
        body: { email: "someone@example.test", password: "correct horse battery" },
        headers: { "content-type": "text/plain" },
      });
      expect(res.status).toBe(415);
      expect(res.json.error.code).toBe("unsupported_media_type");
    }
    expect((await api.call("GET", "/leads", { token })).json.items).toEqual([]);
  });

  it("answers an unknown route with 404 not_found in the envelope", async () => {
    const res = await api.call("GET", "/nowhere");
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("not_found");
  });

  it("never shows a stack trace", async () => {
    const { token } = await api.signup();
    const res = await api.call("POST", "/leads", { token, body: "[" });
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe("ownership", () => {
  it("shows a user only their own leads, and another user's lead is a 404 everywhere", async () => {
    const alice = await api.signup();
    const bob = await api.signup();
    const mine = await api.call("POST", "/leads", {
      token: alice.token,
      body: sampleLead({ name: "Alice's lead" }),
    });
    await api.call("POST", "/leads", { token: bob.token, body: sampleLead({ name: "Bob's lead" }) });

    const bobsList = await api.call("GET", "/leads", { token: bob.token });
    expect(bobsList.json.items.map((i: { name: string }) => i.name)).toEqual(["Bob's lead"]);
    for (const path of ["", "/attempts", "/events"]) {
      const res = await api.call("GET", `/leads/${mine.json.id}${path}`, { token: bob.token });
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe("not_found");
    }
    const retry = await api.call("POST", `/leads/${mine.json.id}/retry`, { token: bob.token });
    expect(retry.status).toBe(404);
    expect((await api.call("GET", `/leads/${mine.json.id}`, { token: alice.token })).status).toBe(200);
  });

  it("answers 404 for an id that is not a uuid", async () => {
    const { token } = await api.signup();
    expect((await api.call("GET", "/leads/123", { token })).status).toBe(404);
  });
});

describe("GET /leads pagination", () => {
  it("walks every lead newest first with no gaps or repeats, even within one millisecond", async () => {
    const { token, userId } = await api.signup();
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      const res = await api.call("POST", "/leads", { token, body: sampleLead({ name: `lead ${i}` }) });
      ids.push(res.json.id);
    }
    // Force ties on the ordering key so the id tiebreak is what keeps pages apart.
    await api.deps.database.pool.query(
      "update workflows set lead_created_at = date_trunc('second', now()) where user_id = $1 and lead_id = any($2)",
      [userId, ids.slice(5, 15)],
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=5&cursor=${encodeURIComponent(cursor)}` : "?limit=5";
      const res = await api.call("GET", `/leads${query}`, { token });
      expect(res.status).toBe(200);
      expect(res.json.items.length).toBeLessThanOrEqual(5);
      seen.push(...res.json.items.map((i: { id: string }) => i.id));
      cursor = res.json.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(23);
    expect([...seen].sort()).toEqual([...ids].sort());
  });

  it("lists newest first by default with limit 20 and filters by status", async () => {
    const { token } = await api.signup();
    for (let i = 0; i < 22; i++)
      await api.call("POST", "/leads", { token, body: sampleLead({ name: `n${i}` }) });
    const first = await api.call("GET", "/leads", { token });
    expect(first.json.items).toHaveLength(20);
    expect(first.json.items[0].name).toBe("n21");
    expect(first.json.items[0]).toEqual({
      id: expect.any(String),
      name: "n21",
      contact_channel: "whatsapp",
      created_at: expect.any(String),
      status: "pending",
      category: null,
      queue: null,
      priority: null,
      sla_minutes: null,
      source: null,
    });
    expect(first.json.next_cursor).toEqual(expect.any(String));
    expect((await api.call("GET", "/leads?status=completed", { token })).json.items).toEqual([]);
    expect((await api.call("GET", "/leads?status=pending&limit=100", { token })).json.items).toHaveLength(22);
  });

  it.each([["limit=0"], ["limit=101"], ["status=done"], ["cursor=garbage"], ["priority=p9"]])(
    "refuses %s with validation_failed",
    async (query) => {
      const { token } = await api.signup();
      const res = await api.call("GET", `/leads?${query}`, { token });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("validation_failed");
    },
  );
});

describe("health and docs", () => {
  it("reports the process up and both dependencies ready", async () => {
    expect((await api.call("GET", "/healthz")).json).toEqual({ status: "ok" });
    const ready = await api.call("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: "ok", checks: { database: "ok", redis: "ok" } });
  });

  it("serves an OpenAPI 3.1 document built from the validation schemas, and a reference page", async () => {
    const doc = await api.call("GET", "/openapi.json");
    expect(doc.json.openapi).toBe("3.1.0");
    const body = doc.json.paths["/leads"].post.requestBody.content["application/json"].schema;
    expect(body.properties.contact_channel.enum).toEqual(["whatsapp", "webchat", "email", "other"]);
    expect(body.required).toEqual(expect.arrayContaining(["name", "contact_channel", "message"]));
    const docs = await api.call("GET", "/docs");
    expect(docs.status).toBe(200);
    expect(docs.text).toContain("/openapi.json");
  });
});
