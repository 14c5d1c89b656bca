import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sampleLead, startTestApi, type TestApi } from "./support/api.ts";

describe("Idempotency-Key on POST /leads", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it("answers a repeat with the first lead, 200, and never makes a second workflow", async () => {
    const { token } = await api.signup();
    const headers = { "idempotency-key": "webhook-delivery-001" };
    const first = await api.call("POST", "/leads", { token, body: sampleLead(), headers });
    const second = await api.call("POST", "/leads", { token, body: sampleLead(), headers });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.json.id).toBe(first.json.id);
    expect(second.json.workflow.id).toBe(first.json.workflow.id);
    expect((await api.call("GET", "/leads", { token })).json.items).toHaveLength(1);
  });

  it("serialises concurrent duplicates into one lead", async () => {
    const { token, userId } = await api.signup();
    const headers = { "idempotency-key": "burst-42" };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => api.call("POST", "/leads", { token, body: sampleLead(), headers })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 202]);
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
    const { rows } = await api.deps.database.pool.query(
      "select count(*)::int as n from workflows where user_id = $1",
      [userId],
    );
    expect(rows[0].n).toBe(1);
  });

  it("refuses the same key with a different body with 422 idempotency_conflict", async () => {
    const { token } = await api.signup();
    const headers = { "idempotency-key": "k-1" };
    expect((await api.call("POST", "/leads", { token, body: sampleLead(), headers })).status).toBe(202);
    const changed = await api.call("POST", "/leads", {
      token,
      body: sampleLead({ message: "another" }),
      headers,
    });
    expect(changed.status).toBe(422);
    expect(changed.json.error.code).toBe("idempotency_conflict");
    expect((await api.call("GET", "/leads", { token })).json.items).toHaveLength(1);
  });

  it("keeps keys per user, and frees a key after 24 hours", async () => {
    const alice = await api.signup();
    const bob = await api.signup();
    const headers = { "idempotency-key": "shared-key" };
    const a = await api.call("POST", "/leads", { token: alice.token, body: sampleLead(), headers });
    const b = await api.call("POST", "/leads", { token: bob.token, body: sampleLead(), headers });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.json.id).not.toBe(b.json.id);

    await api.deps.database.pool.query(
      "update leads set created_at = now() - interval '25 hours' where id = $1",
      [a.json.id],
    );
    const later = await api.call("POST", "/leads", {
      token: alice.token,
      body: sampleLead({ message: "new one" }),
      headers,
    });
    expect(later.status).toBe(202);
    expect(later.json.id).not.toBe(a.json.id);
  });

  it("refuses a malformed key", async () => {
    const { token } = await api.signup();
    const res = await api.call("POST", "/leads", {
      token,
      body: sampleLead(),
      headers: { "idempotency-key": "x".repeat(300) },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].path).toBe("idempotency-key");
  });
});

describe("rate limits", () => {
  let api: TestApi;
  beforeAll(async () => {
    // Its own key prefix: other suites' logins in the same minute must not count against this one's small limit.
    api = await startTestApi({
      AUTH_RATE_LIMIT: "3",
      LEADS_RATE_LIMIT: "4",
      REDIS_PREFIX: `${inject("redisPrefix")}-limits`,
    });
  });
  afterAll(() => api.close());

  it("limits logins per email with 429 and Retry-After, leaving other emails alone", async () => {
    const email = `victim-${Date.now()}@example.test`;
    const statuses: number[] = [];
    let last: Awaited<ReturnType<TestApi["call"]>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await api.call("POST", "/auth/login", {
        body: { email, password: "wrong password" },
        headers: { "x-forwarded-for": `198.51.100.${i}` },
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(last!.json.error.code).toBe("rate_limited");
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(last!.headers.get("retry-after"))).toBeLessThanOrEqual(60);
  });

  it("limits lead submission per user", async () => {
    const api2 = await startTestApi({
      AUTH_RATE_LIMIT: "1000",
      LEADS_RATE_LIMIT: "4",
      REDIS_PREFIX: `${inject("redisPrefix")}-limits2`,
    });
    try {
      const { token } = await api2.signup();
      const other = await api2.signup();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await api2.call("POST", "/leads", { token, body: sampleLead() })).status);
      expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
      expect((await api2.call("POST", "/leads", { token: other.token, body: sampleLead() })).status).toBe(
        202,
      );
      expect((await api2.call("GET", "/leads", { token })).json.items).toHaveLength(4);
    } finally {
      await api2.close();
    }
  });
});
