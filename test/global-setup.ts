import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../core/db/migrate.ts";
import { dropRunDatabases, dropRunRedisKeys, RUN_ENV, templateDatabaseUrl } from "./support/isolation.ts";

/**
 * Migrates one template database for the whole run; test/file-setup.ts copies it for each test file, so no file
 * sees another's rows, jobs or lost work. The teardown removes only what this run made: its template, any file
 * database a crashed file left behind, and the keys under its own Redis prefix.
 */
export default async function setup(_project: TestProject) {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/leadflow";
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  process.env[RUN_ENV.runId] = runId;
  process.env[RUN_ENV.adminUrl] = adminUrl;
  await migrateDatabase(templateDatabaseUrl());

  process.env.REDIS_URL = redisUrl;
  // Suites sign up many users from one address; the rate-limit tests set their own small limits.
  process.env.AUTH_RATE_LIMIT = "100000";
  process.env.LEADS_RATE_LIMIT = "100000";
  // Several workers may run in one test process: each takes a free port for its /metrics.
  process.env.WORKER_METRICS_PORT = "0";

  return async () => {
    await dropRunDatabases();
    await dropRunRedisKeys(redisUrl);
  };
}
