import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { appRoleUrl } from "@leadflow/core/db/app-role";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import journal from "../../core/db/migrations/meta/_journal.json" with { type: "json" };
import { sampleLead, startTestApi } from "../support/api.ts";
import { dropDatabase, fileEnv } from "../support/isolation.ts";

// The two Lambdas that run no step, invoked in-process as AWS would (no event to speak of) against the real
// PostgreSQL and an SQS of this process (fauxqs through the real AWS SDK). Each case imports its handler afresh
// (vi.resetModules), so the configuration it reads on its first event is its own.

const savedEnv = { ...process.env };
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
  vi.resetModules();
});

describe("the migrate Lambda", () => {
  // A database that does not exist yet, as on a stage's first deploy; under this file's name, so the run's
  // cleaners drop it if this file cannot.
  const fileDatabase = new URL(fileEnv("DATABASE_URL"));
  const freshName = `${decodeURIComponent(fileDatabase.pathname.slice(1))}_fresh`;
  const freshUrl = Object.assign(new URL(fileDatabase), { pathname: `/${freshName}` }).toString();
  // Connects lazily: the database exists by its first query.
  const fresh = new pg.Pool({ connectionString: freshUrl, max: 1 });
  afterAll(async () => {
    await fresh.end();
    await dropDatabase(freshName);
  });

  it("creates and migrates an empty stage's database, and a second deploy changes nothing", async () => {
    Object.assign(process.env, {
      NODE_ENV: "test",
      DATABASE_URL: freshUrl,
      DATABASE_APP_URL: appRoleUrl(freshUrl),
    });
    const { handler } = await import("../../functions/lambda/migrate.ts");

    expect(await handler()).toMatchObject({ status: "migrated", ms: expect.any(Number) });
    const applied = async () => {
      const migrations = await fresh.query("select hash from drizzle.__drizzle_migrations order by id");
      const forced = await fresh.query<{ relname: string }>(
        `select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'
            and relrowsecurity and relforcerowsecurity order by relname`,
      );
      return { migrations: migrations.rows, forced: forced.rows.map((r) => r.relname) };
    };
    const first = await applied();
    expect(first.migrations).toHaveLength(journal.entries.length);
    expect(first.forced).toEqual(
      expect.arrayContaining(["leads", "revoked_tokens", "step_attempts", "workflows"]),
    );

    expect(await handler()).toMatchObject({ status: "migrated" });
    expect(await applied()).toEqual(first);
  });
});

describe("the reconcile Lambda", () => {
  let fauxqs: FauxqsServer;
  let sqs: SQSClient;
  let queueUrls: Record<`SQS_QUEUE_URL_${"CLASSIFY" | "EXTRACT" | "ROUTE"}`, string>;
  beforeAll(async () => {
    fauxqs = await startFauxqs({ port: 0, logger: false });
    const queueUrl = (step: string) => fauxqs.createQueue(`leadflow-maintenance-${step}`).queueUrl;
    queueUrls = {
      SQS_QUEUE_URL_CLASSIFY: queueUrl("classify"),
      SQS_QUEUE_URL_EXTRACT: queueUrl("extract"),
      SQS_QUEUE_URL_ROUTE: queueUrl("route"),
    };
    sqs = new SQSClient({
      region: "us-east-1",
      endpoint: fauxqs.address,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
  });
  afterAll(async () => {
    sqs?.destroy();
    await fauxqs?.stop();
  });

  it("enqueues on SQS a lead committed but never sent there, once it is older than the grace, and no other", async () => {
    // The API here enqueues on Redis: as far as SQS knows, both leads' first steps were never enqueued.
    const api = await startTestApi();
    const { token } = await api.signup();
    const submit = async () =>
      (await api.call("POST", "/leads", { token, body: sampleLead() })).json.workflow.id as string;
    const lost = await submit();
    const recent = await submit();
    // Ten minutes is the Lambda's grace; moving the lost lead's clock back stands in for waiting them out.
    await api.deps.database.pool.query(
      `update workflow_steps set updated_at = now() - interval '11 minutes' where workflow_id = $1`,
      [lost],
    );
    await api.deps.database.pool.query(
      `update workflows set updated_at = now() - interval '11 minutes' where id = $1`,
      [lost],
    );
    await api.close();

    Object.assign(process.env, {
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      QUEUE_DRIVER: "sqs",
      SQS_ENDPOINT: fauxqs.address,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      RATE_LIMIT_STORE: "postgres",
      ...queueUrls,
    });
    const { handler } = await import("../../functions/lambda/reconcile.ts");
    const { lambdaDatabase } = await import("../../functions/lambda/deps.ts");
    try {
      expect(await handler()).toEqual({
        requeued: 1,
        reasons: { never_enqueued: 1, claim_expired: 0, retry_lost: 0 },
      });
    } finally {
      await lambdaDatabase().close();
    }
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrls.SQS_QUEUE_URL_CLASSIFY,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    const jobs = (received.Messages ?? []).map((m) => JSON.parse(m.Body!));
    expect(jobs).toEqual([expect.objectContaining({ workflowId: lost, step: "classify", run: 1, try: 1 })]);
    expect(jobs.map((j) => j.workflowId)).not.toContain(recent);
  });
});
