/**
 * `npm run bench:login`: how long a failed login takes for a wrong password and for an unknown email, on the
 * real API (in-process requests, as the tests make them) over its own database. Both should cost one bcrypt
 * comparison (core/auth/users.ts compares an unknown email against a dummy hash), so the ratio of their medians
 * should sit near 1: far below it, an unknown email is cheaper and can be told from a real account by timing.
 * The tests assert the comparison is made (test/auth.test.ts); this prints what it costs.
 * Knobs: BENCH_LOGIN_ROUNDS (30), BCRYPT_COST (the configured default, 12).
 */
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { loadConfig } from "@leadflow/core/config";
import { createApp } from "../functions/api/app.ts";
import { createApiDeps } from "../functions/api/deps.ts";
import { benchDatabaseUrl, recreateDatabase } from "./support/database.ts";
import { fmt, percentile, table } from "./support/stats.ts";

const ROUNDS = Number(process.env.BENCH_LOGIN_ROUNDS ?? 30);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error("BENCH_LOGIN_ROUNDS must be a positive integer");

const databaseUrl = benchDatabaseUrl("leadflow_bench_login");
await recreateDatabase(databaseUrl);
const config = loadConfig({
  ...process.env,
  NODE_ENV: "test",
  LOG_LEVEL: "silent",
  DATABASE_URL: databaseUrl,
  REDIS_PREFIX: "lfbench-login",
  // Every round fails a login from one address for one account: the limits must not turn them into 429s.
  AUTH_RATE_LIMIT: "1000000",
});
const deps = createApiDeps(config);
const app = createApp(deps);

async function login(email: string, password: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await app.request("/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

try {
  const email = `bench-${randomUUID()}@example.test`;
  const signup = await app.request("/auth/signup", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "the right password" }),
  });
  if (signup.status !== 201) throw new Error(`sign-up failed: ${signup.status}`);
  // The first unknown-email login hashes the dummy password once; the rounds measure the steady state.
  await login(`warm-${randomUUID()}@example.test`, "wrong password");

  const samples = { wrong: [] as number[], unknown: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved, so a change in the machine's load falls on both alike.
    const wrong = await login(email, "wrong password");
    const unknown = await login(`nobody-${randomUUID()}@example.test`, "wrong password");
    if (wrong.status !== 401 || unknown.status !== 401)
      throw new Error(`expected 401 for both, got ${wrong.status} and ${unknown.status}`);
    samples.wrong.push(wrong.ms);
    samples.unknown.push(unknown.ms);
  }

  const row = (name: string, xs: number[]) => [
    name,
    fmt(percentile(xs, 0.5)),
    fmt(percentile(xs, 0.9)),
    fmt(Math.min(...xs)),
    fmt(Math.max(...xs)),
  ];
  console.log(
    `bench:login: ${ROUNDS} rounds, bcrypt cost ${config.BCRYPT_COST}, load average ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log(
    table([
      ["failed login", "p50 ms", "p90 ms", "min ms", "max ms"],
      row("wrong password", samples.wrong),
      row("unknown email", samples.unknown),
    ]),
  );
  const ratio = percentile(samples.unknown, 0.5)! / percentile(samples.wrong, 0.5)!;
  console.log(
    `unknown / wrong, medians: ${ratio.toFixed(2)} (about 1: the same work; ~0.01 without the dummy hash)`,
  );
} finally {
  await deps.close();
}
