import { createHash } from "node:crypto";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Database } from "./client.ts";

const dialect = new PgDialect();
const names = new Map<string, string>();

/** A statement's name from its text: one text, one name, on every connection of every process. */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `lf_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Runs a statement on the pool as a named prepared statement: each connection parses and plans it once, and
 * every later run only binds and executes. For the hot path's few large statements (claiming and settling a
 * step) planning cost more PostgreSQL CPU than executing. The set of texts is small and fixed by the code (values
 * are always parameters), so the per-connection statement cache stays bounded.
 */
export async function executePrepared<T extends Record<string, unknown>>(
  db: Database,
  query: SQL,
): Promise<T[]> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  const result = await db.$client.query<T>({ name: statementName(text), text, values: params });
  return result.rows;
}
