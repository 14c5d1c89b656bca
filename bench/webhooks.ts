/**
 * `npm run bench:webhooks`: outbound webhooks and live updates end to end, on this machine.
 *
 *   Webhooks  BENCH_LEADS (2,000) leads through the real pipeline (the API and simulator in this process, the worker
 *             in its own, as deployed: sharing one event loop with all the rest held every try back by seconds) with one
 *             endpoint subscribed to lead.routed, a local receiver that fails 20% of first tries (503) and answers
 *             the rest 200. Prints deliveries/s (first event to last accepted receipt), p50/p99 from the event
 *             (the outbox row, written as the workflow completes) to its accepted receipt, duplicates (accepted
 *             twice under one webhook-id; goal 0) and lost (events never accepted; goal 0).
 *   Burst     BENCH_BURST (2,000) pings written to the outbox in one statement: the delivery path's own rate, apart
 *             from the pipeline's (which paces the events above).
 *   Live      For the same leads: from the workflow's completion (finished_at in PostgreSQL) to a client seeing it,
 *             over GET /events/stream against polling GET /leads every 1 s (the web app's interval), p50/p99.
 *
 * Its own database (leadflow_bench_webhooks, dropped, created and migrated each run) and Redis prefix (its keys
 * removed at the end). Bounded: BENCH_TIMEOUT_MS (default 5 min).
 */
import { createHash } from "node:crypto";
import { loadConfig } from "@leadflow/core/config";
import { Redis } from "ioredis";
import { createApp } from "../functions/api/app.ts";
import { createApiDeps } from "../functions/api/deps.ts";
import { startSimulator } from "../functions/simulator/server.ts";
import { spawnWorker } from "../scripts/support/processes.ts";
import { startReceiver } from "../test/support/webhook-receiver.ts";
import { benchDatabaseUrl, recreateDatabase } from "./support/database.ts";
import { leadFor } from "./support/leads.ts";
import { fmt, forEachLimited, percentile, sleep, table } from "./support/stats.ts";

const LEADS = Number(process.env.BENCH_LEADS ?? 2000);
const BURST = Number(process.env.BENCH_BURST ?? 2000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 300_000);
const POLL_MS = 1_000;
const DATABASE_URL = benchDatabaseUrl("leadflow_bench_webhooks");
const PREFIX = `lfbenchwebhooks${Date.now().toString(36)}`;
const started = Date.now();
const watchdog = setTimeout(() => {
  console.error(`bench:webhooks gave up after ${TIMEOUT_MS} ms`);
  process.exit(1);
}, TIMEOUT_MS);

/** Deterministic: one first try in five fails, whatever order they arrive in. */
const failsFirstTry = (webhookId: string) => createHash("sha256").update(webhookId).digest()[0]! % 5 === 0;

await recreateDatabase(DATABASE_URL);
const simulator = await startSimulator({ port: 0 });
const env = {
  ...process.env,
  NODE_ENV: "test",
  LOG_LEVEL: "silent",
  DATABASE_URL,
  REDIS_PREFIX: PREFIX,
  LLM_PROVIDER: "simulator",
  OPENAI_BASE_URL: simulator.url,
  LEADS_RATE_LIMIT: "1000000",
  AUTH_RATE_LIMIT: "1000",
  WORKER_METRICS_PORT: "0",
  WORKER_CONCURRENCY: "16",
  WORKER_WEBHOOKS: "true",
  WEBHOOK_ALLOW_PRIVATE: "true",
  WEBHOOK_BACKOFF_BASE_MS: "200",
  // One user submits every lead: with the daily budget (2,000,000 tokens) its 730th workflow waits for tomorrow.
  USER_DAILY_TOKEN_BUDGET: "0",
  BCRYPT_COST: "10",
};
const config = loadConfig(env);
const deps = createApiDeps(config);
const app = createApp(deps);
const worker = spawnWorker(
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string")),
);
const receiver = await startReceiver((receipt, before) => ({
  status: before === 0 && failsFirstTry(String(receipt.headers["webhook-id"])) ? 503 : 200,
}));

const json = async (method: string, path: string, token?: string, body?: unknown) => {
  const res = await app.request(path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json() as Promise<any>;
};

const { access_token: token } = await json("POST", "/auth/signup", undefined, {
  email: `bench-${Date.now()}@example.test`,
  password: "correct horse battery",
});
await json("POST", "/webhook-endpoints", token, { url: receiver.url("/bench"), events: ["lead.routed"] });

// The stream: when each lead's completion reaches a client.
const streamSeen = new Map<string, number>();
const stream = await app.request("/events/stream", { headers: { authorization: `Bearer ${token}` } });
const reader = stream.body!.getReader();
let streamText = "";
void (async () => {
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done) return;
    const now = Date.now();
    streamText += decoder.decode(value, { stream: true });
    let cut = streamText.indexOf("\n\n");
    while (cut >= 0) {
      const block = streamText.slice(0, cut);
      streamText = streamText.slice(cut + 2);
      if (block.startsWith("event: lead\n")) {
        const change = JSON.parse(block.split("\n")[1]!.slice(6));
        if (change.status === "completed" && !streamSeen.has(change.id)) streamSeen.set(change.id, now);
      }
      cut = streamText.indexOf("\n\n");
    }
  }
})();

// Polling, as the web app does without the stream: the first page of completed leads, every second.
const pollSeen = new Map<string, number>();
let polling = true;
const poller = (async () => {
  while (polling) {
    const page = await json("GET", "/leads?status=completed&limit=100", token);
    const now = Date.now();
    for (const item of page.items ?? []) if (!pollSeen.has(item.id)) pollSeen.set(item.id, now);
    await sleep(POLL_MS);
  }
})();

console.log(`bench:webhooks: ${LEADS} leads, receiver failing 20% of first tries`);
await forEachLimited(
  Array.from({ length: LEADS }, (_, i) => i),
  16,
  async (i) => {
    await json("POST", "/leads", token, leadFor(i));
  },
);
const pool = deps.database.pool;
for (;;) {
  const { rows } = await pool.query(
    "select count(*) filter (where status = 'delivered')::int as delivered, count(*) filter (where status = 'failed')::int as failed, count(*)::int as total from webhook_deliveries",
  );
  const { rows: done } = await pool.query(
    "select count(*) filter (where status in ('completed', 'failed'))::int as n from workflows",
  );
  if (done[0].n === LEADS && rows[0].delivered + rows[0].failed === rows[0].total) break;
  if (Date.now() - started > TIMEOUT_MS - 20_000) {
    console.log("cut short: not everything finished in time");
    break;
  }
  await sleep(500);
}
await sleep(POLL_MS + 200);
polling = false;
await poller;

const { rows: deliveries } = await pool.query(
  "select id, created_at, status from webhook_deliveries where event = 'lead.routed'",
);
const { rows: workflows } = await pool.query(
  "select lead_id, status, finished_at from workflows where status = 'completed'",
);
const accepted = receiver.receipts.filter((r) => r.answered === 200);
const acceptedIds = accepted.map((r) => String(r.headers["webhook-id"]));
const firstAccept = new Map<string, number>();
for (const r of accepted) {
  const id = String(r.headers["webhook-id"]);
  if (!firstAccept.has(id)) firstAccept.set(id, r.at);
}
const eventToReceipt = deliveries
  .filter((d) => firstAccept.has(`msg_${d.id}`))
  .map((d) => firstAccept.get(`msg_${d.id}`)! - new Date(d.created_at).getTime());
const firstEvent = Math.min(...deliveries.map((d) => new Date(d.created_at).getTime()));
const lastReceipt = Math.max(...accepted.map((r) => r.at));
const lost = deliveries.filter((d) => !firstAccept.has(`msg_${d.id}`)).length;
const duplicates = acceptedIds.length - new Set(acceptedIds).size;
const completedAt = new Map(workflows.map((w) => [w.lead_id as string, new Date(w.finished_at).getTime()]));
const lag = (seen: Map<string, number>) =>
  [...seen].filter(([id]) => completedAt.has(id)).map(([id, at]) => at - completedAt.get(id)!);
const streamLag = lag(streamSeen);
const pollLag = lag(pollSeen);

console.log(
  table([
    ["webhooks", "value"],
    ["routed leads (events)", String(deliveries.length)],
    ["receipts (all tries)", String(receiver.receipts.length)],
    ["first tries failed (503)", String(receiver.receipts.filter((r) => r.answered === 503).length)],
    ["deliveries/s", fmt(deliveries.length / ((lastReceipt - firstEvent) / 1000))],
    ["event → receipt p50 ms", fmt(percentile(eventToReceipt, 0.5), 0)],
    ["event → receipt p99 ms", fmt(percentile(eventToReceipt, 0.99), 0)],
    ["duplicates (goal 0)", String(duplicates)],
    ["lost (goal 0)", String(lost)],
  ]),
);
console.log(
  table([
    ["completion → client", "leads seen", "p50 ms", "p99 ms"],
    [
      "GET /events/stream",
      String(streamLag.length),
      fmt(percentile(streamLag, 0.5), 0),
      fmt(percentile(streamLag, 0.99), 0),
    ],
    [
      `polling GET /leads every ${POLL_MS} ms`,
      String(pollLag.length),
      fmt(percentile(pollLag, 0.5), 0),
      fmt(percentile(pollLag, 0.99), 0),
    ],
  ]),
);

// Burst: the delivery path alone.
const { rows: endpoints } = await pool.query("select id, user_id from webhook_endpoints");
const before = receiver.receipts.length;
const burstStart = Date.now();
await pool.query(
  `insert into webhook_deliveries (endpoint_id, user_id, event, payload)
   select $1::uuid, $2::uuid, 'ping', json_build_object('type', 'ping', 'timestamp', now(), 'data', json_build_object('endpoint_id', $1::uuid::text))::text
   from generate_series(1, $3)`,
  [endpoints[0].id, endpoints[0].user_id, BURST],
);
for (;;) {
  const { rows } = await pool.query(
    "select count(*)::int as n from webhook_deliveries where event = 'ping' and status = 'pending'",
  );
  if (rows[0].n === 0 || Date.now() - started > TIMEOUT_MS - 5_000) break;
  await sleep(100);
}
const burstMs = Date.now() - burstStart;
const burstAccepted = receiver.receipts.slice(before).filter((r) => r.answered === 200);
const burstIds = burstAccepted.map((r) => String(r.headers["webhook-id"]));
console.log(
  table([
    ["burst of pings", "value"],
    ["events", String(BURST)],
    ["accepted", String(new Set(burstIds).size)],
    ["duplicates", String(burstIds.length - new Set(burstIds).size)],
    ["deliveries/s", fmt(new Set(burstIds).size / (burstMs / 1000))],
  ]),
);

await reader.cancel().catch(() => {});
await worker.kill("SIGTERM");
await deps.close();
await simulator.close();
await receiver.close();
const redis = new Redis(config.REDIS_URL);
let cursor = "0";
do {
  const [next, keys] = await redis.scan(cursor, "MATCH", `${PREFIX}*`, "COUNT", 1000);
  cursor = next;
  if (keys.length) await redis.del(...keys);
} while (cursor !== "0");
await redis.quit();
clearTimeout(watchdog);
process.exit(lost === 0 && duplicates === 0 ? 0 : 1);
