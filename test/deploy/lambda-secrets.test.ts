import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;

// Each Lambda is given only its own secrets (infra/lambda.ts, secretsOf) and declares the same needs to config
// (lambdaUses in its entry module). Each entry here is started in a fresh process with exactly that environment,
// as AWS would: it must start, and must refuse to when a secret it needs is missing.

const base = {
  PATH: process.env.PATH ?? "",
  NODE_ENV: "production",
  LOG_LEVEL: "silent",
  LLM_PROVIDER: "openai",
  DATABASE_APP_URL: "postgres://leadflow_app:pw@db.example:5432/leadflow",
  QUEUE_DRIVER: "sqs",
  SQS_QUEUE_URL_CLASSIFY: "https://sqs.eu-west-1.amazonaws.com/123456789012/classify",
  SQS_QUEUE_URL_EXTRACT: "https://sqs.eu-west-1.amazonaws.com/123456789012/extract",
  SQS_QUEUE_URL_ROUTE: "https://sqs.eu-west-1.amazonaws.com/123456789012/route",
};
const jwt = { JWT_SECRET: "j".repeat(48), METRICS_TOKEN: "m".repeat(32) };
const model = { OPENAI_API_KEY: "sk-test" };
const entries: Array<[string, Record<string, string>, string | null]> = [
  ["api", jwt, "JWT_SECRET"],
  ["classify", model, "OPENAI_API_KEY"],
  ["extract", model, "OPENAI_API_KEY"],
  ["route", model, "OPENAI_API_KEY"],
  ["dead-letter", {}, null],
  ["reconcile", {}, null],
  ["webhooks", {}, null],
  ["webhook-dispatch", {}, null],
  ["migrate", { DATABASE_URL: "postgres://master:pw@db.example:5432/leadflow" }, null],
];

async function configOf(entry: string, env: Record<string, string>) {
  const script = `await import(${JSON.stringify(`${root}functions/lambda/${entry}.ts`)});
    const { lambdaConfig } = await import(${JSON.stringify(`${root}functions/lambda/deps.ts`)});
    const c = lambdaConfig();
    console.log(JSON.stringify({ jwt: Boolean(c.JWT_SECRET), key: c.OPENAI_API_KEY ?? null }));`;
  return run(process.execPath, ["--input-type=module", "-e", script], { cwd: root, env });
}

describe("each Lambda starts with its own secrets only", () => {
  it.each(entries)("%s", async (entry, secrets, needed) => {
    const { stdout } = await configOf(entry, { ...base, ...secrets });
    expect(JSON.parse(stdout)).toMatchObject({
      jwt: "JWT_SECRET" in secrets,
      key: secrets.OPENAI_API_KEY ?? null,
    });
    if (needed) {
      const { [needed]: _dropped, ...without } = { ...base, ...secrets } as Record<string, string>;
      const refused = await configOf(entry, without).catch((err: { stderr: string }) => err);
      expect((refused as { stderr?: string }).stderr ?? "").toContain(needed);
    }
  });
});
