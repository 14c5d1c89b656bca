import { createHash } from "node:crypto";
import { is, type SQL } from "drizzle-orm";
import { PgDialect, PgTransaction } from "drizzle-orm/pg-core";
import { pgErrorCode, type Queryable } from "./client.ts";

const dialect = new PgDialect();
const names = new Map<string, string>();

/** A statement's name from its text: one text, one name, on every connection of every process. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `lf_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * A statement prepared before a migration changed the type of a column it returns can never run again on its
 * connection ("cached plan must not change result type", and node-postgres never deallocates). Its text gets a
 * new name instead, which every connection prepares afresh.
 */
function renameStatement(text: string): string {
  const name = `${statementName(text)}_${Date.now().toString(36)}`;
  names.set(text, name);
  return name;
}

const isStalePlan = (err: unknown) =>
  pgErrorCode(err) === "0A000" && /cached plan must not change result type/.test(errorMessages(err));

function errorMessages(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e && messages.length < 4; e = (e as { cause?: unknown }).cause) {
    messages.push(String((e as { message?: unknown }).message ?? ""));
  }
  return messages.join(" ");
}

/**
 * Runs a raw statement as a named prepared statement, on the pool or inside a transaction: each connection
 * parses and plans it once, and every later run only binds and executes. For the hot path's few large statements
 * (intake, claiming and settling a step) planning cost PostgreSQL more CPU than executing. The set of texts is
 * small and fixed by the code (values are always parameters), so each connection's statement cache stays bounded.
 * It goes through drizzle's session (its logger and type parsers), which names the statement for node-postgres.
 * A connection pooler in front of PostgreSQL must keep prepared statements per client: RDS Proxy does (it pins
 * such sessions), PgBouncer in transaction mode only from 1.21 with max_prepared_statements set.
 */
export async function executePrepared<T extends Record<string, unknown>>(
  db: Queryable,
  query: SQL,
): Promise<T[]> {
  const compiled = dialect.sqlToQuery(query);
  const run = async (name: string) => {
    const prepared = db._.session.prepareQuery<{ execute: { rows: T[] }; all: unknown; values: unknown }>(
      compiled,
      undefined,
      name,
      false,
    );
    return (await prepared.execute()).rows;
  };
  try {
    return await run(statementName(compiled.sql));
  } catch (err) {
    if (!isStalePlan(err)) throw err;
    const renamed = renameStatement(compiled.sql);
    // Inside a transaction the error has aborted it: the caller's next attempt runs under the new name.
    if (is(db, PgTransaction)) throw err;
    return await run(renamed);
  }
}
