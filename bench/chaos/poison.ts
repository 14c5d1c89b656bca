import { execFileSync } from "node:child_process";
import type pg from "pg";

/**
 * The chaos run's poison lead: a message whose classify call never answers, and whose worker dies the moment it
 * makes that call, as a lead that crashes its worker would. It must end failed after STEP_MAX_TAKEOVERS takeovers
 * while the other leads flow.
 */
export const POISON_MARKER = "CHAOS-POISON";
export const POISON_KEY = "chaos-poison";
export const POISON_MESSAGE = `${POISON_MARKER}: this lead kills its worker [[sim classify=hang]]`;

/** The process that holds the TCP connection whose local port is `port`: the worker that made a model call. */
export function pidOwningPort(port: number): number | null {
  try {
    const out = execFileSync("ss", ["-Htnp", `sport = :${port}`], { encoding: "utf8" });
    const match = /pid=(\d+)/.exec(out);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export async function submitPoison(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/leads`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "idempotency-key": POISON_KEY,
    },
    body: JSON.stringify({ name: "Poison Pete", contact_channel: "other", message: POISON_MESSAGE }),
  });
  const body = (await res.json()) as { id?: string };
  if (!body.id) throw new Error(`the poison lead was refused: ${res.status}`);
  return body.id;
}

export interface Bounds {
  /** The most model calls one workflow made, and the ceiling the settings imply. */
  maxCalls: number;
  maxCallsWorkflow: string | null;
  ceiling: number;
  poison: { status: string; code: string | null; message: string | null; calls: number } | null;
}

/**
 * A step makes at most 1 + STEP_MAX_REASKS calls per delivery, and gets at most STEP_MAX_ATTEMPTS deliveries that
 * end in a transient failure plus STEP_MAX_TAKEOVERS - 1 that are lost (the next takeover fails it without a
 * call); deferrals carry their re-ask count on. Three steps, one run each (chaos retries nothing).
 */
export function callCeiling(settings: {
  maxAttempts: number;
  maxReasks: number;
  maxTakeovers: number;
}): number {
  return 3 * (settings.maxAttempts + settings.maxTakeovers - 1) * (1 + settings.maxReasks);
}

export async function readBounds(pool: pg.Pool, poisonLead: string | null, ceiling: number): Promise<Bounds> {
  const most = await pool.query<{ workflow_id: string; calls: number }>(
    "select workflow_id, count(*)::int as calls from step_attempts group by 1 order by 2 desc limit 1",
  );
  let poison: Bounds["poison"] = null;
  if (poisonLead) {
    const { rows } = await pool.query<{
      status: string;
      code: string | null;
      message: string | null;
      calls: number;
    }>(
      `select w.status, w.error->>'code' as code, w.error->>'message' as message,
              (select count(*)::int from step_attempts a where a.workflow_id = w.id) as calls
         from workflows w where w.lead_id = $1`,
      [poisonLead],
    );
    poison = rows[0] ?? null;
  }
  return {
    maxCalls: most.rows[0]?.calls ?? 0,
    maxCallsWorkflow: most.rows[0]?.workflow_id ?? null,
    ceiling,
    poison,
  };
}
