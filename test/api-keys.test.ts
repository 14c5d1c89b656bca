import { createHash } from "node:crypto";
import { apiKeys } from "@leadflow/core/db/schema";
import { asUser } from "@leadflow/core/db/scoped";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead, startTestApi, type TestApi } from "./support/api.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ LEADS_RATE_LIMIT: "3" });
});
afterAll(() => api.close());

async function createKey(token: string, name = "CRM sync") {
  const res = await api.call("POST", "/api-keys", { token, body: { name } });
  expect(res.status).toBe(201);
  return res.json as { id: string; key: string; prefix: string; name: string };
}

describe("API keys", () => {
  it("creates a key shown once, stored only as its SHA-256 digest, listed without it", async () => {
    const { token } = await api.signup();
    const created = await createKey(token);
    expect(created.key).toMatch(/^lf_[A-Za-z0-9_-]{32,}$/);
    expect(created.prefix).toBe(created.key.slice(0, 12));
    expect(created).toMatchObject({ name: "CRM sync", last_used_at: null });

    const [row] = await api.deps.database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row!.digest.equals(createHash("sha256").update(created.key).digest())).toBe(true);
    expect(JSON.stringify(row)).not.toContain(created.key.slice(12));

    const list = await api.call("GET", "/api-keys", { token });
    expect(list.status).toBe(200);
    expect(list.json.items).toEqual([
      {
        id: created.id,
        name: "CRM sync",
        prefix: created.prefix,
        created_at: expect.any(String),
        last_used_at: null,
      },
    ]);
    expect(list.text).not.toContain(created.key);
  });

  it("authenticates as its user on the lead routes and records last_used_at at most once a minute", async () => {
    const { token } = await api.signup();
    const { key, id } = await createKey(token);
    const submitted = await api.call("POST", "/leads", { token: key, body: sampleLead() });
    expect(submitted.status).toBe(202);
    const mine = await api.call("GET", `/leads/${submitted.json.id}`, { token });
    expect(mine.status).toBe(200);
    expect((await api.call("GET", "/stats", { token: key })).status).toBe(200);

    const first = (await api.call("GET", "/api-keys", { token })).json.items[0].last_used_at;
    expect(first).not.toBeNull();
    expect((await api.call("GET", "/leads", { token: key })).status).toBe(200);
    const second = (await api.call("GET", "/api-keys", { token })).json.items.find(
      (k: { id: string }) => k.id === id,
    ).last_used_at;
    expect(second).toBe(first);
  });

  it("is refused (403 forbidden) on key management and on the session routes", async () => {
    const { token } = await api.signup();
    const { key, id } = await createKey(token);
    for (const [method, path, body] of [
      ["POST", "/api-keys", { name: "another" }],
      ["GET", "/api-keys", undefined],
      ["DELETE", `/api-keys/${id}`, undefined],
      ["GET", "/auth/me", undefined],
      ["POST", "/auth/logout", undefined],
      ["POST", "/webhook-endpoints", { url: "https://example.com/hook", events: ["lead.routed"] }],
      ["GET", "/webhook-endpoints", undefined],
    ] as const) {
      const res = await api.call(method, path, { token: key, body });
      expect([path, res.status, res.json?.error?.code]).toEqual([path, 403, "forbidden"]);
    }
    expect((await api.call("GET", "/api-keys", { token })).json.items).toHaveLength(1);
    expect((await api.call("GET", "/webhook-endpoints", { token })).json.items).toHaveLength(0);
    // Working the queues is a lead route: a key reads the inbox.
    expect((await api.call("GET", "/inbox", { token: key })).status).toBe(200);
  });

  it("is refused (401) once revoked; another user's key is a 404", async () => {
    const owner = await api.signup();
    const other = await api.signup();
    const { key, id } = await createKey(owner.token);
    expect((await api.call("DELETE", `/api-keys/${id}`, { token: other.token })).status).toBe(404);
    expect((await api.call("GET", "/leads", { token: key })).status).toBe(200);

    expect((await api.call("DELETE", `/api-keys/${id}`, { token: owner.token })).status).toBe(204);
    const refused = await api.call("GET", "/leads", { token: key });
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe("unauthorized");
    expect((await api.call("DELETE", `/api-keys/${id}`, { token: owner.token })).status).toBe(404);
    expect((await api.call("DELETE", "/api-keys/not-a-uuid", { token: owner.token })).status).toBe(404);
    expect((await api.call("GET", "/api-keys", { token: owner.token })).json.items).toEqual([]);
  });

  it("is declared in the OpenAPI document", async () => {
    const doc = await api.call("GET", "/openapi.json");
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining(["/api-keys", "/api-keys/{id}", "/leads"]),
    );
    expect(doc.json.paths["/api-keys"].post.responses["409"]).toBeDefined();
    expect(doc.json.components.schemas.ApiKey).toBeDefined();
  });

  it("refuses an unknown key and a malformed name", async () => {
    const { token } = await api.signup();
    const unknown = await api.call("GET", "/leads", { token: `lf_${"x".repeat(43)}` });
    expect(unknown.status).toBe(401);
    const blank = await api.call("POST", "/api-keys", { token, body: { name: "  " } });
    expect(blank.status).toBe(400);
    expect(blank.json.error.code).toBe("validation_failed");
    expect(blank.json.error.details[0].path).toBe("name");
    const extra = await api.call("POST", "/api-keys", { token, body: { name: "a", admin: true } });
    expect(extra.status).toBe(400);
    const broken = await api.call("POST", "/api-keys", { token, body: "{" });
    expect([broken.status, broken.json.error.code]).toEqual([400, "invalid_json"]);
  });

  it("holds at most 20 live keys a user, even created at once; revoked ones do not count", async () => {
    const { token } = await api.signup();
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => api.call("POST", "/api-keys", { token, body: { name: `k${i}` } })),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(20);
    const refused = answers.filter((r) => r.status === 409);
    expect(refused).toHaveLength(4);
    expect(refused[0]!.json.error.code).toBe("limit_reached");

    const revoked = answers.find((r) => r.status === 201)!.json.id;
    expect((await api.call("DELETE", `/api-keys/${revoked}`, { token })).status).toBe(204);
    expect((await api.call("POST", "/api-keys", { token, body: { name: "k20" } })).status).toBe(201);
    expect((await api.call("POST", "/api-keys", { token, body: { name: "k21" } })).status).toBe(409);
  });

  it("counts lead submissions per key, apart from its owner's session and other keys", async () => {
    const { token } = await api.signup();
    const [a, b] = [await createKey(token, "a"), await createKey(token, "b")];
    const statuses = async (credential: string, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        out.push((await api.call("POST", "/leads", { token: credential, body: sampleLead() })).status);
      }
      return out;
    };
    expect(await statuses(a.key, 4)).toEqual([202, 202, 202, 429]);
    expect(await statuses(b.key, 1)).toEqual([202]);
    expect(await statuses(token, 1)).toEqual([202]);
  });

  it("shows the API role only the caller's keys, and before sign-in only the one whose digest it presents", async () => {
    const owner = await api.signup();
    const other = await api.signup();
    const { key } = await createKey(owner.token);
    await createKey(other.token);
    const { db } = api.deps.database;
    const seen = await asUser(db, other.userId, (tx) => tx.select({ userId: apiKeys.userId }).from(apiKeys));
    expect(new Set(seen.map((r) => r.userId))).toEqual(new Set([other.userId]));

    const presented = (digest: string) =>
      db.transaction(async (tx) => {
        await tx.execute(
          sql`select set_config('role', 'leadflow_api', true), set_config('app.api_key_digest', ${digest}, true)`,
        );
        return tx.select({ userId: apiKeys.userId }).from(apiKeys);
      });
    expect(await presented(createHash("sha256").update(key).digest("hex"))).toEqual([
      { userId: owner.userId },
    ]);
    expect(await presented("00".repeat(32))).toEqual([]);
    expect(await presented("")).toEqual([]);
  });
});
