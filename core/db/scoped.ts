import { sql } from "drizzle-orm";
import type { Database, Transaction } from "./client.ts";

export const API_ROLE = "leadflow_api";
export const WORKER_ROLE = "leadflow_worker";

/**
 * Runs `work` in a transaction as the API's role with the caller's id set, so PostgreSQL's row-level security
 * policies show and accept only that user's rows, whatever filter a query forgets. One round trip sets both.
 */
export function asUser<T>(db: Database, userId: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('role', ${API_ROLE}, true), set_config('app.user_id', ${userId}, true)`,
    );
    return work(tx);
  });
}
