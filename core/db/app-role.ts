import pg from "pg";

/** The processes' login role (migration 0004): neither superuser nor owner, so row-level security binds it. */
export const APP_ROLE = "leadflow_app";

/**
 * `url` with the app role as its user and no password: what DATABASE_APP_URL is on a machine whose PostgreSQL
 * trusts local connections (npm start, the tests).
 */
export function appRoleUrl(url: string): string {
  const app = new URL(url);
  app.username = APP_ROLE;
  app.password = "";
  return app.toString();
}

/**
 * Gives the app role the password DATABASE_APP_URL carries (RDS: a stage secret), as the migrating owner, so the
 * one secret lives in one place. None in the URL: nothing is changed (trust, or a password set by hand). The
 * password travels as a literal in the statement and is never logged.
 */
export async function setAppRolePassword(client: pg.ClientBase, appUrl: string | undefined): Promise<void> {
  if (!appUrl) return;
  const url = new URL(appUrl);
  if (decodeURIComponent(url.username) !== APP_ROLE) {
    throw new Error(`DATABASE_APP_URL must log in as ${APP_ROLE}, the role the migrations create`);
  }
  const password = decodeURIComponent(url.password);
  if (!password) return;
  await client.query(`alter role ${APP_ROLE} with password ${pg.escapeLiteral(password)}`);
}
