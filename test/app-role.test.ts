import { appRoleUrl } from "@leadflow/core/db/app-role";
import { connectDatabase, pgErrorCode } from "@leadflow/core/db/client";
import {
  leads,
  stepAttempts,
  users,
  workflowEvents,
  workflowSteps,
  workflows,
} from "@leadflow/core/db/schema";
import { asUser, WORKER_ROLE } from "@leadflow/core/db/scoped";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";

// The API and the worker as they run with DATABASE_APP_URL: logged in as leadflow_app, which is neither superuser
// nor owner, so row-level security binds every query they make (a superuser bypasses it even when FORCEd).

const ownerUrl = fileEnv("DATABASE_URL");
const appUrl = appRoleUrl(ownerUrl);
let pipeline: Pipeline;
let owner: pg.Client;

beforeAll(async () => {
  pipeline = await startPipeline("approle", { DATABASE_APP_URL: appUrl });
  owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await pipeline?.close();
});

describe("the app's login role (DATABASE_APP_URL)", () => {
  it("is what the API and the worker log in as: not a superuser, owning nothing", async () => {
    for (const pool of [pipeline.api.deps.database.pool, pipeline.worker.pool]) {
      const { rows } = await pool.query<{ login: string; superuser: boolean; owns: number }>(
        `select session_user as login,
                (select rolsuper from pg_roles where rolname = session_user) as superuser,
                (select count(*)::int from pg_class where relowner = (select oid from pg_roles where rolname = session_user)) as owns`,
      );
      expect(rows[0]).toEqual({ login: "leadflow_app", superuser: false, owns: 0 });
    }
  });

  it("runs the whole workflow: sign-up, login, a lead through all three steps", async () => {
    const { api } = pipeline;
    const alice = await api.signup();
    const login = await api.call("POST", "/auth/login", {
      body: { email: alice.email, password: alice.password },
    });
    expect(login.status).toBe(200);
    expect((await api.call("GET", "/auth/me", { token: login.json.access_token })).status).toBe(200);
    const id = await pipeline.submit(alice.token, sampleLead());
    const lead = await pipeline.waitForTerminal(alice.token, id);
    expect(lead.workflow.status).toBe("completed");
    expect((await pipeline.attempts(alice.token, id)).length).toBeGreaterThanOrEqual(3);
    expect((await api.call("POST", "/auth/logout", { token: alice.token })).status).toBe(204);
    expect((await api.call("GET", `/leads/${id}`, { token: alice.token })).status).toBe(401);
  });

  it("sees no user's rows outside asUser, and only the caller's inside it", async () => {
    const { api } = pipeline;
    const alice = await api.signup();
    const bob = await api.signup();
    await pipeline.submit(alice.token, sampleLead());
    await pipeline.submit(bob.token, sampleLead());
    const { db } = api.deps.database;
    for (const table of [leads, workflows, workflowSteps, stepAttempts, workflowEvents]) {
      expect(await db.select().from(table)).toEqual([]);
      const mine = await asUser(db, alice.userId, (tx) => tx.select({ userId: table.userId }).from(table));
      expect(new Set(mine.map((r) => r.userId))).toEqual(new Set(mine.length ? [alice.userId] : []));
    }
    expect((await asUser(db, alice.userId, (tx) => tx.select().from(leads))).length).toBe(1);
    // A plain session of the login, with no role taken (as the API on Lambda), starts as the API's role with no
    // user set, and stays so after RESET ROLE: it sees no one's leads.
    const bare = new pg.Client({ connectionString: appUrl });
    await bare.connect();
    try {
      const who = await bare.query("select current_user as who, session_user as login");
      expect(who.rows[0]).toEqual({ who: "leadflow_api", login: "leadflow_app" });
      expect((await bare.query("select * from leads")).rows).toEqual([]);
      await bare.query("reset role");
      expect((await bare.query("select current_user as who")).rows[0].who).toBe("leadflow_api");
      expect((await bare.query("select * from leads")).rows).toEqual([]);
      // Without a role of its own it holds no privilege (NOINHERIT), and cannot escape to the owner or a superuser.
      await bare.query("set role leadflow_app");
      expect(pgErrorCode(await bare.query("select * from leads").catch((e: unknown) => e))).toBe("42501");
      expect(pgErrorCode(await bare.query("set role postgres").catch((e: unknown) => e))).toBe("42501");
    } finally {
      await bare.end();
    }
  });

  it("gives the worker's role the users' ids and never their password hashes", async () => {
    const worker = connectDatabase(appUrl, 1, { role: WORKER_ROLE });
    try {
      const refused = await worker.pool
        .query("select password_hash from users limit 1")
        .catch((e: unknown) => e);
      expect(pgErrorCode(refused)).toBe("42501");
      const email = await worker.pool.query("select email from users limit 1").catch((e: unknown) => e);
      expect(pgErrorCode(email)).toBe("42501");
      const ids = await worker.db.select({ id: users.id }).from(users).limit(1);
      expect(ids).toHaveLength(1);
    } finally {
      await worker.close();
    }
    // The Lambdas' way (SET ROLE behind RDS Proxy) gives the same role, over the same login.
    const lambda = connectDatabase(appUrl, 1, { role: WORKER_ROLE, assumeRole: "set-role" });
    try {
      const who = await lambda.pool.query("select current_user as who, session_user as login");
      expect(who.rows[0]).toEqual({ who: WORKER_ROLE, login: "leadflow_app" });
      const refused = await lambda.pool
        .query("select password_hash from users limit 1")
        .catch((e: unknown) => e);
      expect(pgErrorCode(refused)).toBe("42501");
    } finally {
      await lambda.close();
    }
  });

  it("serves the API as the login's default role, taking none itself (the Lambda API behind RDS Proxy)", async () => {
    const { loadConfig } = await import("@leadflow/core/config");
    const { createApiDeps } = await import("../functions/api/deps.ts");
    const { createApp } = await import("../functions/api/app.ts");
    const config = loadConfig({
      ...process.env,
      NODE_ENV: "test",
      BCRYPT_COST: "10",
      DATABASE_APP_URL: appUrl,
    });
    const deps = createApiDeps(config, { apiRole: "login-default" });
    try {
      const app = createApp(deps);
      const post = (path: string, body: unknown, token?: string) =>
        app.request(path, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        });
      const email = `approle-default-${Date.now()}@example.test`;
      expect((await post("/auth/signup", { email, password: "correct horse battery" })).status).toBe(201);
      const login = await post("/auth/login", { email, password: "correct horse battery" });
      const { access_token: token } = (await login.json()) as { access_token: string };
      expect((await post("/leads", sampleLead(), token)).status).toBe(202);
      // No start-up parameter: the role comes from the login itself.
      expect(
        (deps.database.pool as unknown as { options: { options?: string } }).options.options,
      ).toBeUndefined();
      const who = await deps.database.pool.query("select current_user as who");
      expect(who.rows[0].who).toBe("leadflow_api");
      expect(await deps.database.db.select().from(leads)).toEqual([]);
      expect((await post("/auth/logout", {}, token)).status).toBe(204);
    } finally {
      await deps.close();
    }
  });

  it("FORCEs row-level security on every table", async () => {
    const { rows } = await owner.query<{ table: string; enabled: boolean; forced: boolean }>(
      `select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.filter((r) => !r.enabled || !r.forced).map((r) => r.table)).toEqual([]);
  });

  it("counts rate limits in PostgreSQL as the API's role", async () => {
    const limited = await import("./support/api.ts").then((m) =>
      m.startTestApi({ DATABASE_APP_URL: appUrl, RATE_LIMIT_STORE: "postgres", AUTH_RATE_LIMIT: "2" }),
    );
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await limited.call("POST", "/auth/login", {
          body: { email: `approle-${i}-${Date.now()}@example.test`, password: "wrong password" },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe("migration 0004's login role, on a cluster that test runs share", () => {
  it("is created once however many databases migrate at once, and again over an existing one", async () => {
    // The role statement of the migration, on a role of this test's own (roles are cluster-wide: the real one
    // is in use by every run on this machine and may not be dropped).
    const { readFile } = await import("node:fs/promises");
    const { MIGRATIONS_FOLDER } = await import("@leadflow/core/db/migrate");
    const migration = await readFile(`${MIGRATIONS_FOLDER}/0004_app_login_role.sql`, "utf8");
    const statement = migration.split("--> statement-breakpoint").find((s) => s.includes("CREATE ROLE"))!;
    const role = `leadflow_app_probe_${Date.now().toString(36)}`;
    const create = statement.replaceAll("leadflow_app", role);
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const client = new pg.Client({ connectionString: ownerUrl });
        await client.connect();
        return client;
      }),
    );
    try {
      // Each in a transaction held open a moment, as the migrator's is: the others' CREATE and GRANT wait on it.
      const runs = clients.map(async (client) => {
        await client.query("begin");
        await client.query(create);
        await client.query("select pg_sleep(0.1)");
        await client.query("commit");
      });
      expect((await Promise.allSettled(runs)).map((r) => r.status)).toEqual(Array(4).fill("fulfilled"));
      await clients[0]!.query(create);
      const { rows } = await owner.query(
        `select rolcanlogin, rolinherit, rolsuper, rolbypassrls,
                pg_has_role($1, 'leadflow_api', 'MEMBER') as api, pg_has_role($1, 'leadflow_worker', 'MEMBER') as worker
         from pg_roles where rolname = $1`,
        [role],
      );
      expect(rows).toEqual([
        {
          rolcanlogin: true,
          rolinherit: false,
          rolsuper: false,
          rolbypassrls: false,
          api: true,
          worker: true,
        },
      ]);
      const defaults = await owner.query(
        "select s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole where r.rolname = $1",
        [role],
      );
      expect(defaults.rows).toEqual([{ setconfig: ["role=leadflow_api"] }]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
      await owner.query(`drop role if exists ${role}`);
    }
  });

  it("takes the app role's password from DATABASE_APP_URL when it carries one", async () => {
    const { setAppRolePassword } = await import("@leadflow/core/db/app-role");
    const statements: string[] = [];
    const recorder = { query: async (text: string) => statements.push(text) } as unknown as pg.ClientBase;
    await setAppRolePassword(recorder, undefined);
    await setAppRolePassword(recorder, appUrl);
    expect(statements).toEqual([]);
    await setAppRolePassword(recorder, "postgres://leadflow_app:it%27s%20secret@db.example:5432/leadflow");
    expect(statements).toEqual(["alter role leadflow_app with password 'it''s secret'"]);
    await expect(setAppRolePassword(recorder, "postgres://postgres:x@db.example/leadflow")).rejects.toThrow(
      /must log in as leadflow_app/,
    );
  });
});
