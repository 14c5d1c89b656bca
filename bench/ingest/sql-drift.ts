import * as schema from "@leadflow/core/db/schema";
import { submitLeadIdempotently } from "@leadflow/core/leads/submit";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { TRANSACTION } from "./insert-transaction.ts";
import { leadBody } from "./lead-bodies.ts";

/**
 * The statements core sends for one lead today, recorded by running the API's own submit function once (no
 * Idempotency-Key, like every benchmark request) with a drizzle logger and a queue that does nothing.
 */
export async function recordApiTransaction(databaseUrl: string, userId: string): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const statements: string[] = [];
  try {
    const db = drizzle(pool, { schema, logger: { logQuery: (query) => statements.push(query) } });
    const queue = { enqueue: async () => {}, close: async () => {} };
    await submitLeadIdempotently({ db, queue }, userId, leadBody(0), null);
    return statements;
  } finally {
    await pool.end();
  }
}

export interface Drift {
  /** Statements in the longer of the two transactions. */
  statements: number;
  /** Statements, from the first, that the raw transaction sends exactly as the API does. */
  matching: number;
  firstDifference?: string;
}

export function compareWithRaw(apiStatements: string[]): Drift {
  const statements = Math.max(apiStatements.length, TRANSACTION.length);
  let matching = 0;
  while (matching < statements && apiStatements[matching] === TRANSACTION[matching]) matching++;
  if (matching === statements) return { statements, matching };
  return {
    statements,
    matching,
    firstDifference:
      `statement ${matching + 1}: API sends ${JSON.stringify(apiStatements[matching] ?? "(nothing)")}, ` +
      `raw sends ${JSON.stringify(TRANSACTION[matching] ?? "(nothing)")}`,
  };
}
