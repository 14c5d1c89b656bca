import { migrateDatabase } from "@leadflow/core/db/migrate";
import pg from "pg";

/**
 * The configured server (DATABASE_URL, or the local default) with its database name replaced: a bench's own
 * database there, so real data is never touched.
 */
export function benchDatabaseUrl(
  name: string,
  configuredUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/leadflow",
): string {
  const url = new URL(configuredUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops the database `databaseUrl` names (closing whatever is connected to it), then creates and migrates it. */
export async function recreateDatabase(databaseUrl: string): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const admin = new URL(databaseUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`);
  } finally {
    await client.end();
  }
  await migrateDatabase(databaseUrl);
}
