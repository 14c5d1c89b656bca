import { connectDatabase } from "@leadflow/core/db/client";
import { leads, stepAttempts, workflowEvents, workflowSteps, workflows } from "@leadflow/core/db/schema";
import { asUser, WORKER_ROLE } from "@leadflow/core/db/scoped";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead, type TestApi } from "./support/api.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";

// A worker runs the leads to the end, so every table the policies guard (step_attempts included) has rows of
// both users when the checks read it.
let pipeline: Pipeline;
let api: TestApi;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
beforeAll(async () => {
  pipeline = await startPipeline("rls");
  api = pipeline.api;
  alice = await api.signup();
  bob = await api.signup();
  for (const who of [alice, bob, bob]) {
    await pipeline.waitForTerminal(who.token, await pipeline.submit(who.token, sampleLead()));
  }
});
afterAll(() => pipeline.close());

describe("row-level security", () => {
  it("shows the API role only the caller's rows in every table, even to a query with no user filter", async () => {
    const { db } = api.deps.database;
    for (const table of [leads, workflows, workflowSteps, workflowEvents]) {
      const rows = await asUser(db, alice.userId, (tx) => tx.select({ userId: table.userId }).from(table));
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.userId))).toEqual(new Set([alice.userId]));
    }
    const bobs = await asUser(db, bob.userId, (tx) => tx.select({ id: leads.id }).from(leads));
    expect(bobs).toHaveLength(2);
    const attempts = await asUser(db, alice.userId, (tx) => tx.select().from(stepAttempts));
    expect(attempts.length).toBeGreaterThan(0);
    expect(new Set(attempts.map((a) => a.userId))).toEqual(new Set([alice.userId]));
    // The control: bob's attempts are there, alice's role just cannot see them.
    const everyones = await api.deps.database.pool.query("select distinct user_id from step_attempts");
    expect(new Set(everyones.rows.map((r) => r.user_id))).toEqual(new Set([alice.userId, bob.userId]));
  });

  it("shows nothing to the API role when no user is set", async () => {
    const rows = await api.deps.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local role leadflow_api`);
      return tx.select().from(leads);
    });
    expect(rows).toEqual([]);
  });

  it("refuses to write a row for another user", async () => {
    const attempt = asUser(api.deps.database.db, alice.userId, (tx) =>
      tx.insert(leads).values({ userId: bob.userId, name: "forged", contactChannel: "email", message: "x" }),
    );
    // 42501: the policy's WITH CHECK refused the row (not some other failure of the insert).
    await expect(attempt).rejects.toMatchObject({
      cause: { code: "42501", message: expect.stringMatching(/row-level security policy/) },
    });
    const count = await api.deps.database.pool.query(
      "select count(*)::int as n from leads where name = 'forged'",
    );
    expect(count.rows[0].n).toBe(0);
  });

  it("lets the worker's role see every user's rows", async () => {
    const worker = connectDatabase(api.config.DATABASE_URL, 1, { role: WORKER_ROLE });
    try {
      const who = await worker.pool.query("select current_user as role");
      expect(who.rows[0].role).toBe(WORKER_ROLE);
      const users = await worker.pool.query("select distinct user_id from leads where user_id = any($1)", [
        [alice.userId, bob.userId],
      ]);
      expect(users.rowCount).toBe(2);
    } finally {
      await worker.close();
    }
  });

  it("lets the worker read a channel's name, for the leads it shows, and none of its secrets", async () => {
    const created = await api.call("POST", "/channels", {
      token: alice.token,
      body: { type: "whatsapp", name: "Shop", settings: { verify_token: "v-token", app_secret: "a-secret" } },
    });
    expect(created.status).toBe(201);
    const worker = connectDatabase(api.config.DATABASE_URL, 1, { role: WORKER_ROLE });
    try {
      const named = await worker.pool.query("select id, type, name from channels where id = $1", [
        created.json.id,
      ]);
      expect(named.rows).toEqual([{ id: created.json.id, type: "whatsapp", name: "Shop" }]);
      for (const column of ["sealed_secret", "verify_token_digest", "settings", "public_key"]) {
        await expect(worker.pool.query(`select ${column} from channels`), column).rejects.toMatchObject({
          code: "42501",
        });
      }
      await expect(worker.pool.query("update channels set name = 'x'")).rejects.toMatchObject({
        code: "42501",
      });
    } finally {
      await worker.close();
    }
  });
});
