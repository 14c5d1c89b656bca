/**
 * Claims a SIGKILLed worker left behind, and how long the system took to take each over. A claim is orphaned when,
 * after its lease ran out, the step is still `processing` under the same lease token (nobody renewed or released
 * it). It is taken over when its token changes or the step leaves `processing`. The design's promise is a takeover
 * within about STALE_STEP_MS (the lease) plus a reconciler interval; the queue's own backlog adds to it.
 */
import type pg from "pg";
import { sleep } from "../../scripts/support/processes.ts";

export interface OrphanReport {
  victim: string;
  orphaned: number;
  /** ms from each orphaned lease's expiry to its takeover; null for one never taken over before the deadline. */
  takeoverMs: Array<number | null>;
}

interface Claim {
  id: string;
  token: string;
}

async function claims(pool: pg.Pool): Promise<Claim[]> {
  const { rows } = await pool.query<Claim>(
    `select id, lease_token as token from workflow_steps
      where status = 'processing' and lease_token is not null and lease_until > now()`,
  );
  return rows;
}

/**
 * Call just before the kill: the live claims then are the only ones the victim can hold (a claim already expired
 * belongs to an earlier victim and is followed there).
 */
export async function snapshotClaims(pool: pg.Pool): Promise<Claim[]> {
  return claims(pool);
}

/** Call right after the kill; resolves once every orphan is taken over, or at `deadline`. */
export async function followOrphans(
  pool: pg.Pool,
  victim: string,
  before: Claim[],
  deadline: () => number,
): Promise<OrphanReport> {
  const report: OrphanReport = { victim, orphaned: 0, takeoverMs: [] };
  if (before.length === 0) return report;
  const ids = before.map((c) => c.id);
  const tokenOf = new Map(before.map((c) => [c.id, c.token]));
  const state = async () =>
    (
      await pool.query<{
        id: string;
        status: string;
        token: string | null;
        until_ms: string | null;
        now_ms: string;
      }>(
        `select id, status, lease_token as token, extract(epoch from lease_until) * 1000 as until_ms,
                extract(epoch from clock_timestamp()) * 1000 as now_ms
           from workflow_steps where id = any($1)`,
        [ids],
      )
    ).rows;

  // Wait for every lease that still carries its pre-kill token to run out.
  let orphans: Map<string, number> = new Map();
  for (;;) {
    const rows = await state();
    const held = rows.filter((r) => r.status === "processing" && r.token === tokenOf.get(r.id));
    const now = Number(rows[0]?.now_ms ?? Date.now());
    if (held.every((r) => Number(r.until_ms) < now - 250) || Date.now() > deadline()) {
      orphans = new Map(held.map((r) => [r.id, Number(r.until_ms)]));
      break;
    }
    await sleep(250);
  }
  report.orphaned = orphans.size;
  const taken = new Map<string, number>();
  while (taken.size < orphans.size && Date.now() <= deadline()) {
    for (const r of await state()) {
      if (!orphans.has(r.id) || taken.has(r.id)) continue;
      if (r.status !== "processing" || r.token !== tokenOf.get(r.id)) {
        taken.set(r.id, Math.max(0, Math.round(Number(r.now_ms) - orphans.get(r.id)!)));
      }
    }
    await sleep(250);
  }
  report.takeoverMs = [...orphans.keys()].map((id) => taken.get(id) ?? null);
  return report;
}
