import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";

/**
 * Names of the run's and the file's databases and Redis prefixes. Every name starts with the run's id, so the
 * cleaners can drop what this run made and nothing of another run working on the same servers.
 */
export const RUN_ENV = { runId: "LEADFLOW_TEST_RUN_ID", adminUrl: "LEADFLOW_TEST_ADMIN_URL" } as const;

function runId(): string {
  const id = process.env[RUN_ENV.runId];
  if (!id) throw new Error(`${RUN_ENV.runId} is unset: run the tests through vitest (test/global-setup.ts)`);
  return id;
}

function databaseUrl(name: string): string {
  const url = new URL(process.env[RUN_ENV.adminUrl] ?? "postgres://postgres@127.0.0.1:5432/leadflow");
  url.pathname = `/${name}`;
  return url.toString();
}

const templateName = () => `leadflow_test_${runId()}`;
const runRedisPrefix = () => `lftest${runId()}`;

export const templateDatabaseUrl = () => databaseUrl(templateName());

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl("postgres") });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database of the file's own, a copy of the migrated template (so the roles' grants and policies come with it). */
export async function createFileDatabase(): Promise<{ name: string; url: string }> {
  const name = `${templateName()}_${randomBytes(4).toString("hex")}`;
  await withAdmin((client) => client.query(`create database "${name}" template "${templateName()}"`));
  return { name, url: databaseUrl(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((client) => client.query(`drop database if exists "${name}" with (force)`));
}

/** A Redis prefix of the file's own, under the run's. */
export const fileRedisPrefix = () => `${runRedisPrefix()}-${randomBytes(4).toString("hex")}`;

export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    await redis.quit();
  }
}

/** The run's template and every file database of this run still there (a file that crashed before its teardown). */
export async function dropRunDatabases(): Promise<void> {
  const names = await withAdmin(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "select datname from pg_database where datname = $1 or starts_with(datname, $2)",
      [templateName(), `${templateName()}_`],
    );
    return rows.map((r) => r.datname);
  });
  for (const name of names) await dropDatabase(name);
}

export const dropRunRedisKeys = (redisUrl: string) => deleteRedisKeys(redisUrl, runRedisPrefix());

/** The file's own DATABASE_URL or REDIS_PREFIX, set by test/file-setup.ts before the file's imports ran. */
export function fileEnv(name: "DATABASE_URL" | "REDIS_PREFIX"): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is unset: test/file-setup.ts must run first (vitest setupFiles)`);
  return value;
}
