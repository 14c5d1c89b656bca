import { randomUUID } from "node:crypto";
import { connectDatabase, pgErrorCode } from "@leadflow/core/db/client";
import { createLogger } from "@leadflow/core/logger";
import type { RateLimitStore } from "@leadflow/core/rate-limits/port";
import {
  PRUNE_PER_HIT,
  postgresRateLimitStore,
  rateLimitKeyDigest,
} from "@leadflow/core/rate-limits/postgres";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../functions/api/app.ts";
import { sampleLead, startTestApi, type TestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";

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
    // TRUST_PROXY: each request's X-Forwarded-For is its address, so the per-email limit is the only one a
    // burst from many addresses can meet (without it every request shares one address and its limit).
    api = await startTestApi({
      AUTH_RATE_LIMIT: "3",
      LEADS_RATE_LIMIT: "4",
      TRUST_PROXY: "1",
      REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-limits`,
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
    // Another email, even from an address the victim's burst used, still gets its own answer.
    const bystander = await api.call("POST", "/auth/login", {
      body: { email: `bystander-${Date.now()}@example.test`, password: "wrong password" },
      headers: { "x-forwarded-for": "198.51.100.0" },
    });
    expect(bystander.status).toBe(401);
    expect(bystander.json.error.code).toBe("invalid_credentials");
  });

  it("counts an account's failed logins only: its owner signing in again and again is never locked out", async () => {
    const own = await startTestApi({
      AUTH_RATE_LIMIT: "3",
      TRUST_PROXY: "1",
      REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-limits-own`,
    });
    try {
      const owner = await own.signup();
      const from = (i: number) => ({ "x-forwarded-for": `198.51.100.${10 + i}` });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await own.call("POST", "/auth/login", {
          body: { email: owner.email, password: owner.password },
          headers: from(i),
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      // Failures still count: three wrong passwords, then even the right one waits for the window.
      for (let i = 0; i < 3; i++) {
        const wrong = { email: owner.email, password: "wrong password" };
        expect((await own.call("POST", "/auth/login", { body: wrong, headers: from(5 + i) })).status).toBe(
          401,
        );
      }
      const locked = await own.call("POST", "/auth/login", {
        body: { email: owner.email, password: owner.password },
        headers: from(9),
      });
      expect(locked.status).toBe(429);
    } finally {
      await own.close();
    }
  });

  it("lets no more failed logins through than the account's limit, even sent all at once", async () => {
    const parallel = await startTestApi({
      AUTH_RATE_LIMIT: "3",
      TRUST_PROXY: "1",
      REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-limits-burst`,
    });
    try {
      const { email } = await parallel.signup();
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          parallel.call("POST", "/auth/login", {
            body: { email, password: "wrong password" },
            headers: { "x-forwarded-for": `198.51.100.${100 + i}` },
          }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
    } finally {
      await parallel.close();
    }
  });

  it("limits lead submission per user", async () => {
    const api2 = await startTestApi({
      AUTH_RATE_LIMIT: "1000",
      LEADS_RATE_LIMIT: "4",
      REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-limits2`,
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

describe("rate limits counted in PostgreSQL (RATE_LIMIT_STORE=postgres, as on Lambda)", () => {
  let api: TestApi;
  let store: RateLimitStore;
  beforeAll(async () => {
    // TRUST_PROXY so each test's requests come from addresses of their own: the counters table is the run's.
    api = await startTestApi({
      RATE_LIMIT_STORE: "postgres",
      AUTH_RATE_LIMIT: "3",
      LEADS_RATE_LIMIT: "4",
      TRUST_PROXY: "true",
    });
    store = postgresRateLimitStore(api.deps.database.db);
  });
  afterAll(() => api.close());

  const address = () => `2001:db8:1::${randomUUID().slice(0, 4)}`;
  const counter = async (key: string) =>
    (
      await api.deps.database.pool.query(
        "select count, octet_length(key) as bytes from rate_limit_counters where key = $1",
        [rateLimitKeyDigest(key)],
      )
    ).rows[0];

  it("limits logins per email with 429 and Retry-After, and keeps no email at rest", async () => {
    const email = `pg-victim-${randomUUID()}@example.test`;
    const statuses: number[] = [];
    let last: Awaited<ReturnType<TestApi["call"]>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await api.call("POST", "/auth/login", {
        body: { email, password: "wrong password" },
        headers: { "x-forwarded-for": address() },
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(last!.json.error.code).toBe("rate_limited");
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(last!.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    // The row is named by a digest of the limit and the email, never the email itself. Refused attempts are not
    // failures of the password, so only the three 401s count.
    expect(await counter(`login:email:${email}`)).toEqual({ count: 3, bytes: 32 });
    const plain = await api.deps.database.pool.query(
      "select 1 from rate_limit_counters where position(convert_to($1, 'UTF8') in key) > 0",
      [email],
    );
    expect(plain.rowCount).toBe(0);
  });

  it("limits per address, and lead submission per user", async () => {
    const ip = address();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await api.call("POST", "/auth/login", {
        body: { email: `pg-${randomUUID()}@example.test`, password: "wrong password" },
        headers: { "x-forwarded-for": ip },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);

    const signup = (email: string) =>
      api.call("POST", "/auth/signup", {
        body: { email, password: "correct horse battery" },
        headers: { "x-forwarded-for": address() },
      });
    const token = (await signup(`pg-${randomUUID()}@example.test`)).json.access_token;
    const other = (await signup(`pg-${randomUUID()}@example.test`)).json.access_token;
    const leads: number[] = [];
    for (let i = 0; i < 6; i++)
      leads.push((await api.call("POST", "/leads", { token, body: sampleLead() })).status);
    expect(leads).toEqual([202, 202, 202, 202, 429, 429]);
    expect((await api.call("POST", "/leads", { token: other, body: sampleLead() })).status).toBe(202);
    expect((await api.call("GET", "/leads", { token })).json.items).toHaveLength(4);
  });

  it("loses no hit when many arrive at once, and reports the time left in the window", async () => {
    const key = `burst:${randomUUID()}`;
    const hits = await Promise.all(Array.from({ length: 25 }, () => store.hit(key, 60_000)));
    expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    for (const h of hits) {
      expect(h.resetMs).toBeGreaterThan(55_000);
      expect(h.resetMs).toBeLessThanOrEqual(60_000);
    }
  });

  it("opens a new window once the old one has ended", async () => {
    const key = `expiry:${randomUUID()}`;
    await store.hit(key, 60_000);
    expect((await store.hit(key, 60_000)).count).toBe(2);
    await api.deps.database.pool.query(
      "update rate_limit_counters set window_ends_at = now() - interval '1 second' where key = $1",
      [rateLimitKeyDigest(key)],
    );
    const reopened = await store.hit(key, 60_000);
    expect(reopened.count).toBe(1);
    expect(reopened.resetMs).toBeGreaterThan(55_000);
    expect((await store.hit(key, 60_000)).count).toBe(2);
  });

  it("prunes expired rows of other keys a few per hit, never an open window", async () => {
    // In a transaction rolled back at the end: no other suite's hit can prune these rows meanwhile.
    const pruning = api.deps.database.db.transaction(async (tx) => {
      await tx.execute(sql`delete from rate_limit_counters where window_ends_at <= now()`);
      for (let i = 0; i < PRUNE_PER_HIT + 5; i++) {
        await tx.execute(sql`insert into rate_limit_counters (key, count, window_ends_at)
          values (${rateLimitKeyDigest(`old:${i}`)}, 3, now() - interval '1 minute')`);
      }
      await tx.execute(sql`insert into rate_limit_counters (key, count, window_ends_at)
        values (${rateLimitKeyDigest("live")}, 3, now() + interval '1 minute')`);
      const expired = async () =>
        (
          await tx.execute<{ n: number }>(sql`select count(*)::int as n from rate_limit_counters
          where window_ends_at <= now()`)
        ).rows[0]!.n;
      const inTx = postgresRateLimitStore(tx);
      await inTx.hit(`pruner:${randomUUID()}`, 60_000);
      expect(await expired()).toBe(5);
      await inTx.hit(`pruner:${randomUUID()}`, 60_000);
      expect(await expired()).toBe(0);
      const live = await tx.execute(sql`select count from rate_limit_counters
        where key = ${rateLimitKeyDigest("live")}`);
      expect(live.rows).toEqual([{ count: 3 }]);
      tx.rollback();
    });
    await expect(pruning).rejects.toThrow(/rollback/i);
  });

  it("is usable by the API's database role and not by the worker's", async () => {
    const { db } = api.deps.database;
    const asRole = (role: string) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('role', ${role}, true)`);
        return postgresRateLimitStore(tx).hit(`role:${randomUUID()}`, 60_000);
      });
    expect((await asRole("leadflow_api")).count).toBe(1);
    const refused = await asRole("leadflow_worker").catch((err) => err);
    expect(pgErrorCode(refused)).toBe("42501");
  });

  it("fails closed on /auth (503) but lets leads through, with a warning, when the database cannot count", async () => {
    const unreachable = connectDatabase("postgres://postgres@127.0.0.1:1/leadflow", 1);
    const lines: string[] = [];
    const log = createLogger(
      { level: "warn", name: "limits" },
      { write: (line: string) => lines.push(line) },
    );
    const app = createApp({ ...api.deps, rateLimits: postgresRateLimitStore(unreachable.db), log });
    try {
      const email = `pg-outage-${randomUUID()}@example.test`;
      for (const path of ["/auth/login", "/auth/signup"]) {
        const res = await app.request(path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, password: "wrong password" }),
        });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("service_unavailable");
        expect(res.headers.get("retry-after")).toBe("5");
      }
      // Password guessing is what the /auth limits stop; a lead limit down must not stop intake.
      const { token } = await api.signup(undefined, undefined, { "x-forwarded-for": address() });
      const lead = await app.request("/leads", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(sampleLead()),
      });
      expect(lead.status).toBe(202);
      const logged = lines
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg.startsWith("rate limit unavailable"));
      expect(logged.map((l) => [l.level, l.limit, l.msg])).toEqual([
        [50, "login", "rate limit unavailable; request refused"],
        [50, "signup", "rate limit unavailable; request refused"],
        [40, "leads", "rate limit unavailable; request allowed"],
      ]);
    } finally {
      await unreachable.close();
    }
  });
});
