import { execFileSync } from "node:child_process";
import { databaseUrl } from "./database.ts";
import { vpc } from "./network.ts";
import { jwtSecret, openaiApiKey } from "./secrets.ts";

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

export type LambdaName = "api" | "classify" | "extract" | "route" | "dead-letter" | "reconcile" | "migrate";

/**
 * The environment core/config.ts validates at start-up, the same for every function: the model settings are
 * needed by the step consumers, the JWT secret by the API, and config requires both in production.
 */
export const baseEnvironment = {
  NODE_ENV: "production",
  LOG_LEVEL: "info",
  DATABASE_URL: databaseUrl,
  JWT_SECRET: jwtSecret.value,
  LLM_PROVIDER: "openai",
  OPENAI_API_KEY: openaiApiKey.value,
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
    environment: { ...baseEnvironment, ...args.environment },
  };
}
