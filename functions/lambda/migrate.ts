import { migrateDatabase } from "@leadflow/core/db/migrate";
import { lambdaConfig, lambdaUses } from "./deps.ts";

lambdaUses({ tokens: false, model: false });

/**
 * Lambda entry, invoked by every deploy before the other functions change: applies pending migrations (the
 * migrations folder ships beside this bundle). Throwing fails the deploy.
 */
export const handler = async () => {
  const started = performance.now();
  const config = lambdaConfig();
  await migrateDatabase(config.DATABASE_URL, config.DATABASE_APP_URL);
  return { status: "migrated", ms: Math.round(performance.now() - started) };
};
