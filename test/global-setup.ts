import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../core/db/migrate.ts";

/** Every run gets its own database and Redis key prefix, so runs never see each other's rows or jobs. */
export default async function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const base = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/leadflow");
  base.pathname = `/leadflow_test_${runId}`;
  const databaseUrl = base.toString();
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redisPrefix = `lftest${runId}`;

  await migrateDatabase(databaseUrl);
  process.env.DATABASE_URL = databaseUrl;
  process.env.REDIS_URL = redisUrl;
  process.env.REDIS_PREFIX = redisPrefix;
  // Suites sign up many users from one address; the rate-limit tests set their own small limits.
  process.env.AUTH_RATE_LIMIT = "100000";
  process.env.LEADS_RATE_LIMIT = "100000";
  // Every suite shares the run's database, and a worker delivers any user's webhooks: only the suites that test
  // webhooks run workers that do (WORKER_WEBHOOKS=true), with the settings their receivers expect.
  process.env.WORKER_WEBHOOKS = "false";
  // Several workers may run in one test process: each takes a free port for its /metrics.
  process.env.WORKER_METRICS_PORT = "0";
  project.provide("databaseUrl", databaseUrl);
  project.provide("redisPrefix", redisPrefix);

  return async () => {
    const admin = new URL(databaseUrl);
    admin.pathname = "/postgres";
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`drop database if exists "leadflow_test_${runId}" with (force)`);
    await client.end();
    const redis = new Redis(redisUrl);
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${redisPrefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
    await redis.quit();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    redisPrefix: string;
  }
}
