import { vpc } from "./network.ts";

/**
 * PostgreSQL on RDS (db.t4g.micro, 20 GB gp3) in the VPC's private subnets, behind RDS Proxy so that many
 * short-lived Lambda instances share a few database connections.
 */
export const database = new sst.aws.Postgres("Database", {
  vpc,
  proxy: true,
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
