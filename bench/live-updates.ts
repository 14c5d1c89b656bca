/**
 * `npm run bench:live`: how long after a workflow completes a person sees it in the inbox, in a real Chromium,
 * over the web server's relay of GET /events/stream (LIVE_UPDATES=stream) against polling (LIVE_UPDATES=poll, as
 * on Lambda). For each mode, BENCH_LIVE_ROUNDS (3) rounds of 15 leads (the inbox's first page holds 20) submitted
 * through the API, one every 400 ms, while a new user's inbox is open; a MutationObserver in the page notes when each lead's row appears, and PostgreSQL's
 * finished_at says when its workflow completed. Prints p50/p99/max of the difference per mode. Same machine, same
 * clock. Its own database (leadflow_bench_live, recreated each run) and Redis prefix.
 */
import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { launchChromium } from "../test/e2e/chromium.ts";
import { startStack } from "../test/e2e/stack.ts";
import { benchDatabaseUrl, recreateDatabase } from "./support/database.ts";
import { leadFor } from "./support/leads.ts";
import { fmt, percentile, sleep, table } from "./support/stats.ts";

const ROUNDS = Number(process.env.BENCH_LIVE_ROUNDS ?? 3);
const LEADS = 15;
const SPACING_MS = 400;
const DATABASE_URL = benchDatabaseUrl("leadflow_bench_live");

// startStack reads the database and Redis prefix from the environment, as the tests' global setup leaves them.
process.env.DATABASE_URL = DATABASE_URL;
process.env.REDIS_PREFIX = `lfbenchlive${randomBytes(3).toString("hex")}`;
await recreateDatabase(DATABASE_URL);
const db = new pg.Client({ connectionString: DATABASE_URL });
await db.connect();
const browser = await launchChromium();

/** One round: a new user's inbox open in Chromium while LEADS leads arrive; when each completed and was seen. */
async function round(stack: Awaited<ReturnType<typeof startStack>>) {
  const signup = await fetch(`${stack.apiUrl}/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `live-${randomUUID()}@example.test`, password: "correct horse battery" }),
  });
  const { access_token: token } = (await signup.json()) as { access_token: string };
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.addCookies([{ name: "leadflow_session", value: token, url: stack.webUrl, httpOnly: true }]);
    const page = await context.newPage();
    await page.goto(`${stack.webUrl}/inbox`);
    await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
    // When each row first appears, by the page's clock (the same machine's as PostgreSQL's).
    await page.evaluate(() => {
      const seen: Record<string, number> = {};
      (window as unknown as { __seen: Record<string, number> }).__seen = seen;
      const note = () => {
        for (const row of document.querySelectorAll<HTMLElement>("[data-testid=inbox-row]")) {
          const id = row.dataset.leadId;
          if (id && !(id in seen)) seen[id] = Date.now();
        }
      };
      new MutationObserver(note).observe(document.body, { childList: true, subtree: true });
    });

    const ids: string[] = [];
    for (let i = 0; i < LEADS; i++) {
      const res = await fetch(`${stack.apiUrl}/leads`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(leadFor(i)),
      });
      ids.push(((await res.json()) as { id: string }).id);
      await sleep(SPACING_MS);
    }
    const deadline = Date.now() + 60_000;
    let seen: Record<string, number> = {};
    while (Date.now() < deadline) {
      seen = await page.evaluate(() => (window as unknown as { __seen: Record<string, number> }).__seen);
      if (ids.every((id) => id in seen)) break;
      await sleep(250);
    }
    const { rows } = await db.query<{ lead_id: string; finished_at: Date }>(
      "select lead_id, finished_at from workflows where lead_id = any($1) and status = 'completed'",
      [ids],
    );
    return {
      completed: rows.length,
      lags: rows.filter((r) => r.lead_id in seen).map((r) => seen[r.lead_id]! - r.finished_at.getTime()),
    };
  } finally {
    await context.close();
  }
}

async function measure(mode: "stream" | "poll") {
  const stack = await startStack({ webEnv: { LIVE_UPDATES: mode } });
  try {
    let completed = 0;
    const lags: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const result = await round(stack);
      completed += result.completed;
      lags.push(...result.lags);
    }
    return { mode, completed, seen: lags.length, lags };
  } finally {
    await stack.close();
  }
}

try {
  const results = [await measure("stream"), await measure("poll")];
  console.log(
    `bench:live: ${ROUNDS} rounds of ${LEADS} leads a mode, one every ${SPACING_MS} ms, the inbox open in Chromium`,
  );
  console.log(
    table([
      ["completion → row in the inbox", "completed", "seen", "p50 ms", "p99 ms", "max ms"],
      ...results.map((r) => [
        r.mode === "stream" ? "relayed GET /events/stream" : "polling (LIVE_UPDATES=poll)",
        String(r.completed),
        String(r.seen),
        fmt(percentile(r.lags, 0.5), 0),
        fmt(percentile(r.lags, 0.99), 0),
        fmt(Math.max(...r.lags), 0),
      ]),
    ]),
  );
  if (results.some((r) => r.seen < r.completed)) process.exitCode = 1;
} finally {
  await browser.close();
  await db.end();
}
