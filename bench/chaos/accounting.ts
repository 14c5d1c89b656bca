import type pg from "pg";
import { type IntakeResult, idempotencyKey } from "./intake.ts";
import { POISON_KEY } from "./poison.ts";

/**
 * Leads in PostgreSQL against what the sender was told, matched on the Idempotency-Key: an acknowledged lead must
 * have its row, with the id it was told; one row per key; no row without a key of ours.
 */
export async function accountLeads(pool: pg.Pool, intake: IntakeResult) {
  const rows = (
    await pool.query<{ id: string; key: string | null }>("select id, idempotency_key as key from leads")
  ).rows;
  const byKey = new Map<string, string[]>();
  let rowsWithoutKey = 0;
  for (const r of rows) {
    if (r.key === POISON_KEY) continue; // sent on its own, not by the paced intake
    if (!r.key) rowsWithoutKey++;
    else byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.id]);
  }
  let ackedWithoutRow = 0;
  for (const [index, id] of intake.acked) {
    if (!byKey.get(idempotencyKey(index))?.includes(id)) ackedWithoutRow++;
  }
  const ackedKeys = new Set([...intake.acked.keys()].map(idempotencyKey));
  return {
    ackedWithoutRow,
    rowsWithoutKey,
    sameKeyExtraRows: [...byKey.values()].reduce((n, ids) => n + ids.length - 1, 0),
    rowsNeverAcked: [...byKey.keys()].filter((k) => !ackedKeys.has(k)).length,
  };
}
