import { createHash } from "node:crypto";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Queryable } from "./client.ts";

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
 * Runs a raw statement as a named prepared statement, on the pool or inside a transaction: each connection
 * parses and plans it once, and every later run only binds and executes. For the hot path's few large statements
 * (intake, claiming and settling a step) planning cost PostgreSQL more CPU than executing. The set of texts is
 * small and fixed by the code (values are always parameters), so each connection's statement cache stays bounded.
 * It goes through drizzle's session (its logger and type parsers), which names the statement for node-postgres.
 */
export async function executePrepared<T extends Record<string, unknown>>(
  db: Queryable,
  query: SQL,
): Promise<T[]> {
  const compiled = dialect.sqlToQuery(query);
  const prepared = db._.session.prepareQuery<{ execute: { rows: T[] }; all: unknown; values: unknown }>(
    compiled,
    undefined,
    statementName(compiled.sql),
    false,
  );
  const result = await prepared.execute();
  return result.rows;
}
