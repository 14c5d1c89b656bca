/**
 * The chaos run's intake: POST /leads at a steady pace (open loop: a request goes out when it is due, whether or
 * not the earlier ones have been answered, as webhooks arrive), so a slow API during the Redis outage shows up
 * as latency and in-flight requests instead of silently slowing the sender down.
 */
import { sleep } from "../../scripts/support/processes.ts";
import { leadFor } from "../support/leads.ts";

/** The i-th lead of the run; its message is tagged, so each lead is told apart from the others. */
export const chaosLead = (i: number) => leadFor(i, { name: "Chaos Lead", email: "chaos", tag: "chaos" });

export const idempotencyKey = (index: number) => `chaos-${index}`;

export interface IntakeResult {
  /** Leads sent (each once at first, then retried on a failed answer). */
  sent: number;
  /** First tries answered 202. */
  accepted: number;
  /** First tries by answer: HTTP status, or `timeout` / `network` when none came. */
  byStatus: Record<string, number>;
  /** Retries by answer (a replay of a lead already stored answers 200). */
  retryByStatus: Record<string, number>;
  /** The first few failed answers, to say what went wrong. */
  samples: Array<{ index: number; try: number; status: string; body: string }>;
  /** Lead index -> lead id, for every lead acknowledged (202, or 200 on a replay). */
  acked: Map<number, string>;
  /** Replays that named a different lead than an earlier answer for the same key. */
  conflictingAcks: number;
  latencyMs: number[];
  /** Every request: when it went out and was answered (ms since the epoch), and how. */
  requests: Array<{ index: number; try: number; sentAt: number; answeredAt: number; status: string }>;
  /** Most leads waiting for an answer at once. */
  maxInFlight: number;
  /** How late the sender was against its schedule at worst (the in-flight cap, or a busy event loop). */
  maxLagMs: number;
  startedAt: number;
  lastSentAt: number;
  lastAnsweredAt: number;
}

/**
 * Sends `count` leads at a steady pace, each with its own Idempotency-Key, like a webhook sender: a lead whose
 * answer is not 202 (an error, or none within the timeout) is sent again with the same key, up to `retries`
 * times, after an exponential backoff (or the Retry-After when longer). First answers are what the intake goal counts; the retries
 * make every lead land, and check that the key keeps them single.
 */
export async function submitPaced(options: {
  url: string;
  token: string;
  count: number;
  durationMs: number;
  maxInFlight: number;
  requestTimeoutMs: number;
  retries: number;
  /** Called once a lead has gone out, with how many have: the chaos schedule hangs off this. */
  onSent?: (sent: number) => void;
}): Promise<IntakeResult> {
  const { url, token, count, durationMs, maxInFlight, requestTimeoutMs } = options;
  const intervalMs = durationMs / count;
  const result: IntakeResult = {
    sent: 0,
    accepted: 0,
    byStatus: {},
    retryByStatus: {},
    samples: [],
    acked: new Map(),
    conflictingAcks: 0,
    latencyMs: [],
    requests: [],
    maxInFlight: 0,
    maxLagMs: 0,
    startedAt: Date.now(),
    lastSentAt: 0,
    lastAnsweredAt: 0,
  };
  const pending = new Set<Promise<void>>();
  const tally = (record: Record<string, number>, status: string) => {
    record[status] = (record[status] ?? 0) + 1;
  };

  /** One request; the wait before a retry when it failed, or null when the lead is acknowledged. */
  const attempt = async (index: number, tryNumber: number): Promise<number | null> => {
    const started = Date.now();
    let status: string;
    let body = "";
    // Exponential backoff with jitter (1, 2, 4, 8 s...), or the server's Retry-After when it is longer.
    let retryAfterMs = 1_000 * 2 ** (tryNumber - 1) * (0.5 + Math.random() / 2);
    try {
      const res = await fetch(`${url}/leads`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
          "idempotency-key": idempotencyKey(index),
        },
        body: JSON.stringify(chaosLead(index)),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      status = String(res.status);
      body = await res.text();
      const retryAfter = Number(res.headers.get("retry-after"));
      if (retryAfter > 0) retryAfterMs = Math.max(retryAfterMs, retryAfter * 1_000);
    } catch (err) {
      const name = (err as Error).name;
      status = name === "TimeoutError" || name === "AbortError" ? "timeout" : "network";
      body = String((err as Error).message);
    }
    const now = Date.now();
    result.latencyMs.push(now - started);
    result.requests.push({ index, try: tryNumber, sentAt: started, answeredAt: now, status });
    result.lastAnsweredAt = Math.max(result.lastAnsweredAt, now);
    tally(tryNumber === 1 ? result.byStatus : result.retryByStatus, status);
    if (status === "202" || status === "200") {
      if (status === "202" && tryNumber === 1) result.accepted++;
      let id: string | undefined;
      try {
        id = (JSON.parse(body) as { id?: string }).id;
      } catch {
        // counted below as an acknowledgement without an id
      }
      const earlier = result.acked.get(index);
      if (earlier && id !== earlier) result.conflictingAcks++;
      if (id) result.acked.set(index, id);
      return null;
    }
    if (result.samples.length < 5)
      result.samples.push({ index, try: tryNumber, status, body: body.slice(0, 300) });
    return retryAfterMs;
  };

  const send = async (index: number) => {
    for (let tryNumber = 1; ; tryNumber++) {
      const wait = await attempt(index, tryNumber);
      if (wait === null || tryNumber > options.retries) return;
      await sleep(wait);
    }
  };

  for (let i = 0; i < count; i++) {
    const due = result.startedAt + i * intervalMs;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    while (pending.size >= maxInFlight) await Promise.race(pending);
    result.maxLagMs = Math.max(result.maxLagMs, Date.now() - due);
    const request = send(i).finally(() => pending.delete(request));
    pending.add(request);
    result.maxInFlight = Math.max(result.maxInFlight, pending.size);
    result.sent++;
    result.lastSentAt = Date.now();
    options.onSent?.(result.sent);
  }
  await Promise.all(pending);
  return result;
}
