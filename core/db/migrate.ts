import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { loadConfig } from "../config.ts";
import { setAppRolePassword } from "./app-role.ts";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));

/** Creates the database named in the URL when it is missing: a fresh machine has only `postgres`. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (!rowCount) {
      try {
        await client.query(`create database "${name.replaceAll('"', '""')}"`);
      } catch (err) {
        // Two processes migrating at once: the loser finds the database already there.
        if ((err as { code?: string }).code !== "42P04") throw err;
      }
    }
  } finally {
    await client.end();
  }
}

/** Applies pending migrations as `url`'s user (the owner), then gives the app role `appUrl`'s password, if any. */
export async function migrateDatabase(url: string, appUrl?: string): Promise<void> {
  await ensureDatabase(url);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrate(drizzle(pool), { migrationsFolder: MIGRATIONS_FOLDER });
    const client = await pool.connect();
    try {
      await setAppRolePassword(client, appUrl);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = loadConfig();
  await migrateDatabase(config.DATABASE_URL, config.DATABASE_APP_URL);
  console.log(JSON.stringify({ level: "info", msg: "migrations applied" }));
}
