/**
 * `npm run bench:inbound`: signed WhatsApp deliveries (one message each, every message sent twice) against the real
 * API at 64 connections for 10 s, beside bench:ingest's POST /leads figure measured in the same run on the same
 * server. Own database and Redis prefix, never real data. Goal: at least 0.8× POST /leads, no errors, and one lead
 * per message however often it was delivered.
 */
import { randomBytes } from "node:crypto";
import { loadConfig } from "@leadflow/core/config";
import { Redis } from "ioredis";
import pg from "pg";
import { loadWhatsApp } from "./inbound/whatsapp-load.ts";
import { loadPostLeads } from "./ingest/api-load.ts";
import { type ApiServer, signUpBenchUser, startApiServer } from "./ingest/api-server.ts";
import { benchDatabaseUrl, recreateDatabase } from "./support/database.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DATABASE = "leadflow_bench_inbound";
const REDIS_PREFIX = "lfbenchinbound";
const APP_SECRET = randomBytes(24).toString("hex");

let server: ApiServer | undefined;
process.on("exit", () => server?.kill());
setTimeout(() => {
  console.error("bench:inbound: still running after 3 minutes, aborting");
  process.exit(1);
}, 180_000).unref();

/** Only this bench's own keys: the queued jobs its API enqueued (no worker runs). */
async function deleteOwnKeys(redisUrl: string) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${REDIS_PREFIX}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function main() {
  const config = loadConfig();
  const databaseUrl = benchDatabaseUrl(DATABASE, config.DATABASE_URL);
  await recreateDatabase(databaseUrl);
  await deleteOwnKeys(config.REDIS_URL);
  try {
    server = await startApiServer({
      NODE_ENV: "production",
      JWT_SECRET: randomBytes(32).toString("hex"),
      DATABASE_URL: databaseUrl,
      REDIS_URL: config.REDIS_URL,
      REDIS_PREFIX,
      LOG_LEVEL: "warn",
      LEADS_RATE_LIMIT: "1000000000",
      LLM_PROVIDER: "simulator",
      ALLOW_SIMULATOR_IN_PRODUCTION: "true",
    });
    const { token } = await signUpBenchUser(server.url);
    const created = await fetch(`${server.url}/channels`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        type: "whatsapp",
        name: "Bench WhatsApp",
        settings: { verify_token: "bench", app_secret: APP_SECRET },
      }),
    });
    const channel = (await created.json()) as { id: string };

    const load = { url: server.url, connections: CONNECTIONS, seconds: SECONDS };
    await loadPostLeads({ ...load, token, seconds: 1 }); // warm-up
    const leads = await loadPostLeads({ ...load, token });
    const whatsapp = await loadWhatsApp({ ...load, channelId: channel.id, appSecret: APP_SECRET });

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const counts = await db.query<{ leads: number; keys: number; repeated: number; deliveries: number }>(
      `select (select count(*)::int from leads where channel_id = $1) as leads,
              (select count(distinct idempotency_key)::int from leads where channel_id = $1) as keys,
              (select count(*)::int from (select 1 from leads where channel_id = $1
                 group by idempotency_key having count(*) > 1) d) as repeated,
              (select count(*)::int from channel_deliveries where channel_id = $1) as deliveries`,
      [channel.id],
    );
    await db.end();
    const c = counts.rows[0]!;
    const messagesAnswered = Math.ceil(whatsapp.ok / 2);
    const ratio = whatsapp.perSecond / leads.acceptedPerSecond;
    const errors = whatsapp.errors + whatsapp.timeouts + whatsapp.non2xx;
    console.log(`bench:inbound (${CONNECTIONS} connections, ${SECONDS} s each, same API process)`);
    console.log(
      `  POST /leads              ${leads.acceptedPerSecond.toFixed(0).padStart(6)} leads/s       p50 ${leads.latencyMs.p50} ms  p99 ${leads.latencyMs.p99} ms  errors ${leads.errors + leads.timeouts + leads.non2xx}`,
    );
    console.log(
      `  WhatsApp deliveries      ${whatsapp.perSecond.toFixed(0).padStart(6)} deliveries/s  p50 ${whatsapp.latencyMs.p50} ms  p99 ${whatsapp.latencyMs.p99} ms  errors ${errors}`,
    );
    console.log(`  ratio                    ${ratio.toFixed(2)}× POST /leads (goal ≥ 0.8×)`);
    console.log(
      `  deliveries stored ${c.deliveries}, 200s ${whatsapp.ok}; leads ${c.leads} for ${c.keys} distinct wamids (~${messagesAnswered} messages sent); wamids with more than one lead: ${c.repeated}`,
    );
    const ok = errors === 0 && c.repeated === 0 && c.leads === c.keys;
    console.log(ok ? "  checks: ok" : "  checks: FAILED");
    return ratio >= 0.8 && ok ? 0 : 1;
  } finally {
    await server?.stop();
    await deleteOwnKeys(config.REDIS_URL);
  }
}

process.exitCode = await main();
