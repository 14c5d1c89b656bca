import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema.ts";

export type Database = NodePgDatabase<typeof schema>;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Either the pool-backed database or an open transaction: queries take whichever they are given. */
export type Queryable = Database | Transaction;

export interface DatabaseHandle {
  db: Database;
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Every session of the pool works as this role (row-level security: the worker's, `WORKER_ROLE`). */
  role?: string;
  /**
   * How the sessions take `role`:
   * - `"startup-option"` (the default): the `-c role=` start-up parameter. No extra round trip, and the role holds
   *   from the session's first moment. For PostgreSQL itself (processes, containers, tests).
   * - `"set-role"`: `SET ROLE` on each new connection, before the pool hands it to anyone; a connection on which
   *   it fails is closed and whoever asked for it gets the error, so no query ever runs as the login user. For
   *   RDS Proxy, which refuses start-up parameters. The proxy pins a session that runs SET to its database
   *   connection (it must: the role is session state), so while a pooled connection stays open it keeps one
   *   database connection to itself (docs/deploy.md, "The worker role behind RDS Proxy").
   */
  assumeRole?: "startup-option" | "set-role";
}

/** A pg pool with drizzle over it; `options.role` makes every session of the pool work as that role. */
export function connectDatabase(url: string, poolSize = 10, options: ConnectOptions = {}): DatabaseHandle {
  const { role, assumeRole = "startup-option" } = options;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    ...(role && assumeRole === "startup-option" ? { options: `-c role=${role}` } : {}),
    ...(role && assumeRole === "set-role" ? { onConnect: setRole(role) } : {}),
  });
  // An idle client that loses its server (a restart, a killed backend) must not crash the process.
  pool.on("error", () => {});
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}

/**
 * pg-pool awaits `onConnect` before a new client serves anything: not a `pool.query`, not a `pool.connect`
 * (drizzle's transactions). If the returned promise rejects, the pool ends the client and fails the request
 * that was waiting for it. (A `connect` event listener would not do: pg runs a client's queued queries in order
 * but independently, so a query queued behind a failed SET ROLE would still run, as the login user.)
 */
function setRole(role: string) {
  const statement = `set role ${pg.escapeIdentifier(role)}`;
  return async (client: pg.ClientBase) => {
    await client.query(statement);
  };
}

/** PostgreSQL's error code, wherever drizzle wrapped it. */
export function pgErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
