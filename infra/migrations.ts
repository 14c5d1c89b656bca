import { bundled } from "./lambda.ts";

/** Applies pending migrations (the bundle carries the migrations folder); idempotent, so safe on every deploy. */
export const migrator = new sst.aws.Function(
  "Migrator",
  bundled("migrate", {
    description: "leadflow: apply database migrations",
    timeout: "5 minutes",
    memory: "512 MB",
  }),
);

/**
 * Invoked on every deploy (the trigger changes each time), after the migrator is updated and before the
 * functions that need the new schema: they declare `dependsOn: [migrated]`. A failed migration fails the deploy.
 */
export const migrated = new aws.lambda.Invocation("MigrateOnDeploy", {
  functionName: migrator.name,
  input: JSON.stringify({ source: "sst-deploy" }),
  triggers: { deployedAt: String(Date.now()) },
});
