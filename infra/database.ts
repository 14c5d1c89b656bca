import { vpc } from "./network.ts";
import { databaseAppPassword } from "./secrets.ts";

/** The processes' login role, which migration 0004 creates (core/db/app-role.ts). */
const APP_ROLE = "leadflow_app";

/**
 * PostgreSQL on RDS (db.t4g.micro, 20 GB gp3) in the VPC's private subnets, behind RDS Proxy so that many
 * short-lived Lambda instances share a few database connections.
 */
export const database = new sst.aws.Postgres("Database", {
  vpc,
  // The proxy logs in as the master user (the migrator) and as the app role (every other function).
  proxy: { credentials: [{ username: APP_ROLE, password: databaseAppPassword.value }] },
  version: "17",
  instance: "t4g.micro",
  storage: "20 GB",
  database: "leadflow",
});

/**
 * What core/config.ts reads as DATABASE_URL. `host` is the proxy's endpoint; its certificate is a public ACM one,
 * so full verification needs no CA bundle.
 */
export const databaseUrl = $interpolate`postgresql://${database.username}:${database.password.apply(encodeURIComponent)}@${database.host}:${database.port}/${database.database}?sslmode=verify-full`;

/**
 * DATABASE_APP_URL: the same proxy as the app role, neither superuser nor owner, so row-level security binds it.
 * Every function but the migrator connects with this one only; the migrator gives the role this password.
 */
export const databaseAppUrl = $interpolate`postgresql://${APP_ROLE}:${databaseAppPassword.value.apply(encodeURIComponent)}@${database.host}:${database.port}/${database.database}?sslmode=verify-full`;
