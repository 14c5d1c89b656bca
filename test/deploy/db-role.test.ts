import { randomUUID } from "node:crypto";
import { connectDatabase, type DatabaseHandle, pgErrorCode } from "@leadflow/core/db/client";
import { leads } from "@leadflow/core/db/schema";
import { WORKER_ROLE } from "@leadflow/core/db/scoped";
import { inArray, sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileEnv } from "../support/isolation.ts";

// How the Lambdas work as leadflow_worker behind RDS Proxy (which refuses the `-c role=` start-up parameter):
// SET ROLE on each new pooled connection before it serves anything. Against the run's real PostgreSQL, whose
// login user (`postgres`) is a superuser that row-level security does not restrict: a query that ran as it would
// be exactly the leak this guards against.

const url = fileEnv("DATABASE_URL");
const PROBE = `role_probe_${randomUUID().replaceAll("-", "")}`;
let admin: pg.Client;
/** Two users with a lead each, written as the login user: what the worker's role must see all of. */
let seededUsers: string[];

beforeAll(async () => {
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const seeded = await admin.query<{ id: string }>(
    "insert into users (email, password_hash) values ($1, 'x'), ($2, 'x') returning id",
    [`role-a-${randomUUID()}@example.test`, `role-b-${randomUUID()}@example.test`],
  );
  seededUsers = seeded.rows.map((r) => r.id);
  await admin.query(
    "insert into leads (user_id, name, contact_channel, message) select id, 'seed', 'email', 'hi' from users where id = any($1)",
    [seededUsers],
  );
  // Written by a query only if it runs: no role but the login user may touch it (the migrations' default
  // privileges would grant the app's roles the tables their user creates, so take those back).
  await admin.query(`create table ${PROBE} (who text not null, app text)`);
  await admin.query(`revoke all on ${PROBE} from leadflow_api, leadflow_worker`);
});
afterAll(async () => {
  await admin?.query(`drop table if exists ${PROBE}`);
  await admin?.end();
});

/** Every message along an error's cause chain (drizzle wraps pg's errors). */
function messages(err: unknown): string {
  const all: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    all.push(String(e.message ?? e));
  return all.join(" <- ");
}

async function withPool<T>(handle: DatabaseHandle, work: (h: DatabaseHandle) => Promise<T>): Promise<T> {
  try {
    return await work(handle);
  } finally {
    await handle.close();
  }
}

describe("assumeRole: set-role", () => {
  it("runs every connection of the pool as the role, for pool queries, drizzle and transactions", async () => {
    await withPool(
      connectDatabase(url, 3, { role: WORKER_ROLE, assumeRole: "set-role" }),
      async ({ db, pool }) => {
        // Issued at once on a fresh pool: three new connections, each asked for before any has taken the role.
        const rows = await Promise.all(
          [0, 1, 2].map(() =>
            pool.query<{ who: string; login: string; pid: number }>(
              "select current_user as who, session_user as login, pg_backend_pid() as pid, pg_sleep(0.05)",
            ),
          ),
        );
        const sessions = rows.map((r) => r.rows[0]!);
        expect(new Set(sessions.map((s) => s.pid)).size).toBe(3);
        for (const s of sessions) {
          expect(s.who).toBe(WORKER_ROLE);
          expect(s.login).toBe("postgres");
        }

        const viaDrizzle = await db.execute<{ who: string }>(sql`select current_user as who`);
        expect(viaDrizzle.rows[0]?.who).toBe(WORKER_ROLE);
        const inTransaction = await db.transaction(async (tx) => {
          const r = await tx.execute<{ who: string }>(sql`select current_user as who`);
          return r.rows[0]?.who;
        });
        expect(inTransaction).toBe(WORKER_ROLE);

        // The role's privileges, not the login user's: the worker may not create tables or read the probe.
        const refused = await pool.query(`create table ${PROBE}_x (id int)`).catch((err: unknown) => err);
        expect(pgErrorCode(refused)).toBe("42501");
        const hidden = await pool.query(`select * from ${PROBE}`).catch((err: unknown) => err);
        expect(pgErrorCode(hidden)).toBe("42501");
        // And its row-level security policies: the worker's sees every user's leads.
        const seen = await db
          .select({ userId: leads.userId })
          .from(leads)
          .where(inArray(leads.userId, seededUsers));
        expect(new Set(seen.map((r) => r.userId))).toEqual(new Set(seededUsers));

        // Taken by a SET in the session, not by a start-up parameter (which RDS Proxy refuses): the session's
        // default is still the login user, which RESET ROLE returns to. (No code of ours resets roles.)
        const client = await pool.connect();
        try {
          const reset = await client.query("reset role; select current_user as who");
          expect((reset as unknown as pg.QueryResult[])[1]?.rows[0].who).toBe("postgres");
        } finally {
          client.release(true);
        }
      },
    );
  });

  it("keeps the role after a transaction that switched roles locally and one that rolled back", async () => {
    await withPool(
      connectDatabase(url, 1, { role: WORKER_ROLE, assumeRole: "set-role" }),
      async ({ db, pool }) => {
        await db.transaction(async (tx) => {
          await tx.execute(sql`set local role leadflow_api`);
        });
        await db
          .transaction(async (tx) => {
            await tx.execute(sql`select 1`);
            throw new Error("roll back");
          })
          .catch(() => {});
        const who = await pool.query("select current_user as who");
        expect(who.rows[0].who).toBe(WORKER_ROLE);
      },
    );
  });

  it("never lets a query through as the login user when SET ROLE fails: the connection is closed instead", async () => {
    const app = `role-probe-${randomUUID()}`;
    const missing = `leadflow_missing_${randomUUID().slice(0, 8)}`;
    const url2 = new URL(url);
    url2.searchParams.set("application_name", app);
    await withPool(
      connectDatabase(url2.toString(), 2, { role: missing, assumeRole: "set-role" }),
      async ({ db, pool }) => {
        const write = `insert into ${PROBE} (who, app) values (current_user, '${app}')`;
        const attempts = await Promise.allSettled([
          pool.query(write),
          pool.query(write),
          db.execute(sql.raw(write)),
          db.transaction(async (tx) => {
            await tx.execute(sql.raw(write));
          }),
        ]);
        for (const a of attempts) {
          expect(a.status).toBe("rejected");
          expect(messages((a as PromiseRejectedResult).reason)).toContain(`role "${missing}" does not exist`);
        }
        // Nothing ran: no row, from any of the four.
        const written = await admin.query(`select who from ${PROBE} where app = $1`, [app]);
        expect(written.rows).toEqual([]);
        // And no connection was kept: none in the pool, none left open on the server.
        expect(pool.totalCount).toBe(0);
        const open = await admin.query(
          "select count(*)::int as n from pg_stat_activity where application_name = $1",
          [app],
        );
        expect(open.rows[0].n).toBe(0);
      },
    );
  });

  it("gives the Lambdas' database (functions/lambda/deps.ts) the worker role", async () => {
    process.env.DATABASE_URL = url;
    const { lambdaDatabase } = await import("../../functions/lambda/deps.ts");
    const database = lambdaDatabase();
    await withPool(database, async ({ pool }) => {
      const r = await pool.query("select current_user as who, session_user as login");
      expect(r.rows[0]).toEqual({ who: WORKER_ROLE, login: "postgres" });
      // No start-up parameter on the Lambdas' connections: RDS Proxy refuses them.
      expect((pool as unknown as { options: { options?: string } }).options.options).toBeUndefined();
    });
  });
});

describe("assumeRole: startup-option (the default, for PostgreSQL itself)", () => {
  it("takes the role from the start-up parameter", async () => {
    await withPool(connectDatabase(url, 1, { role: WORKER_ROLE }), async ({ pool }) => {
      const r = await pool.query("select current_user as who");
      expect(r.rows[0].who).toBe(WORKER_ROLE);
      // The start-up parameter is the session's default: RESET ROLE keeps it.
      const reset = (await pool.query(
        "reset role; select current_user as who",
      )) as unknown as pg.QueryResult[];
      expect(reset[1]?.rows[0].who).toBe(WORKER_ROLE);
    });
  });
});
