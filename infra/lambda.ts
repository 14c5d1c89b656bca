import { execFileSync } from "node:child_process";
import { databaseAppUrl, databaseUrl } from "./database.ts";
import { vpc } from "./network.ts";
import { jwtSecret, metricsToken, openaiApiKey } from "./secrets.ts";

/**
 * Every function is deployed from the bundle `npm run build:lambda` makes (dist/lambda/<name>/index.mjs), the
 * very files the size test and the cold-start bench measure. The build runs here, once per deploy, so
 * `sst deploy` is the one command.
 */
let built = false;
function buildBundles() {
  if (built) return;
  try {
    execFileSync("npm", ["run", "build:lambda"], { cwd: $cli.paths.root, stdio: "pipe" });
  } catch (err) {
    const output = (err as { stdout?: Buffer; stderr?: Buffer }).stderr?.toString() ?? String(err);
    throw new Error(`npm run build:lambda failed:\n${output}`);
  }
  built = true;
}

export type LambdaName =
  | "api"
  | "classify"
  | "extract"
  | "route"
  | "dead-letter"
  | "reconcile"
  | "migrate"
  | "webhooks"
  | "webhook-dispatch";

/**
 * The environment core/config.ts validates at start-up that every function shares: no secret, and the database as
 * the app role (never the master user).
 */
export const baseEnvironment = {
  NODE_ENV: "production",
  LOG_LEVEL: "info",
  DATABASE_APP_URL: databaseAppUrl,
  LLM_PROVIDER: "openai",
};

/**
 * Each function's own secrets, and no other's: a function that leaks its environment leaks only these. Each entry
 * declares the same needs to config (functions/lambda: lambdaUses), which refuses to start without them.
 */
const secretsOf: Record<LambdaName, Record<string, $util.Input<string>>> = {
  api: { JWT_SECRET: jwtSecret.value, METRICS_TOKEN: metricsToken.value },
  classify: { OPENAI_API_KEY: openaiApiKey.value },
  extract: { OPENAI_API_KEY: openaiApiKey.value },
  route: { OPENAI_API_KEY: openaiApiKey.value },
  "dead-letter": {},
  reconcile: {},
  // Each endpoint's signing secret is in PostgreSQL, read as the worker role.
  webhooks: {},
  "webhook-dispatch": {},
  // The owner, to migrate and to set the app role's password from DATABASE_APP_URL.
  migrate: { DATABASE_URL: databaseUrl },
};

/** Function arguments for one bundle: Node 24 on arm64 (cheaper per GB-second), inside the VPC. */
export function bundled(
  name: LambdaName,
  args: Omit<sst.aws.FunctionArgs, "handler" | "bundle"> & {
    environment?: Record<string, $util.Input<string>>;
  },
): sst.aws.FunctionArgs {
  buildBundles();
  return {
    runtime: "nodejs24.x",
    architecture: "arm64",
    memory: "1024 MB",
    vpc,
    ...args,
    bundle: `dist/lambda/${name}`,
    handler: "index.handler",
    environment: { ...baseEnvironment, ...secretsOf[name], ...args.environment },
  };
}
