import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { startFauxqs } from "fauxqs";
import { beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../functions/simulator/server.ts";
import { bundleBytes, LAMBDA_DIST, LAMBDA_FUNCTIONS } from "../../scripts/build-lambda.ts";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const MAX_BYTES = 1_500_000;

describe("npm run build:lambda", () => {
  // Built once for the file, before any case: each case reads dist/ as this build left it, never as an
  // earlier case did (or, run alone, as a stale build from another day did).
  beforeAll(async () => {
    await run("npm", ["run", "build:lambda"], { cwd: root });
  }, 120_000);

  it("produces one self-contained ESM bundle per function, each under 1.5 MB", async () => {
    const sizes: Record<string, { bytes: number; entryBytes: number }> = {};
    for (const name of LAMBDA_FUNCTIONS) sizes[name] = await bundleBytes(name);
    console.log(
      Object.entries(sizes)
        .map(
          ([n, b]) =>
            `${n} ${(b.entryBytes / 1024).toFixed(0)} KiB (${(b.bytes / 1024).toFixed(0)} KiB with chunks)`,
        )
        .join(", "),
    );
    // The whole function, chunks loaded on demand included.
    for (const [name, { bytes }] of Object.entries(sizes)) expect(bytes, name).toBeLessThan(MAX_BYTES);

    // What a cold start loads before its first event: no AWS SDK anywhere (SQS is one signed fetch), and the step
    // consumers load the OpenAI SDK on their first model call, from a chunk, not with index.mjs.
    for (const name of LAMBDA_FUNCTIONS) {
      const meta = JSON.parse(await readFile(`${LAMBDA_DIST}/${name}.meta.json`, "utf8")) as {
        outputs: Record<string, { inputs: Record<string, unknown> }>;
      };
      const inputsOf = (output: string) => Object.keys(meta.outputs[output]?.inputs ?? {});
      const all = Object.keys(meta.outputs).flatMap(inputsOf);
      expect(
        all.filter((i) => i.includes("node_modules/@aws-sdk/")),
        name,
      ).toEqual([]);
      // No Redis on Lambda: its entries import only the SQS and PostgreSQL adapters, with no stubbing in the build.
      expect(
        all.filter((i) => /node_modules\/(bullmq|ioredis)\//.test(i)),
        name,
      ).toEqual([]);
      if (["classify", "extract", "route"].includes(name)) {
        const entry = Object.keys(meta.outputs).find((o) => o.endsWith(`${name}/index.mjs`)) ?? "";
        expect(
          inputsOf(entry).filter((i) => i.includes("node_modules/openai/")),
          name,
        ).toEqual([]);
        expect(
          all.some((i) => i.includes("node_modules/openai/")),
          name,
        ).toBe(true);
      }
    }

    // The migrations travel with the migrate bundle, where core/db/migrate.ts looks for them.
    const journal = JSON.parse(
      await readFile(`${LAMBDA_DIST}/migrate/migrations/meta/_journal.json`, "utf8"),
    );
    for (const entry of journal.entries) await stat(`${LAMBDA_DIST}/migrate/migrations/${entry.tag}.sql`);
    // So does the web-chat widget with the API bundle, which serves GET /widget.js from beside itself.
    expect(await readFile(`${LAMBDA_DIST}/api/widget.js`, "utf8")).toBe(
      await readFile(`${root}widget/dist/widget.js`, "utf8"),
    );

    // Self-contained: copied away from the repository's node_modules, each still loads and exports `handler`.
    const away = await mkdtemp(`${tmpdir()}/leadflow-lambda-`);
    try {
      for (const name of LAMBDA_FUNCTIONS)
        await cp(`${LAMBDA_DIST}/${name}`, `${away}/${name}`, { recursive: true });
      const script = `const names = ${JSON.stringify(LAMBDA_FUNCTIONS)};
        for (const n of names) {
          const m = await import("./" + n + "/index.mjs");
          if (typeof m.handler !== "function") throw new Error(n + " has no handler");
        }`;
      await run(process.execPath, ["--input-type=module", "-e", script], {
        cwd: away,
        env: { PATH: process.env.PATH },
      });
    } finally {
      await rm(away, { recursive: true, force: true });
    }
  });

  it("serve a lead from the built bundles: the API bundle enqueues on SQS, the classify bundle hands on", async () => {
    // The deployed artifacts themselves (not the sources), in a fresh process: credentials from the environment,
    // SigV4, SQS's JSON protocol, the OpenAI SDK and pg, all as bundled.
    const simulator = await startSimulator({ port: 0 });
    const fauxqs = await startFauxqs({ port: 0, logger: false });
    try {
      const url = (step: string) => fauxqs.createQueue(`bundle-${step}`).queueUrl;
      const env = {
        ...process.env,
        NODE_ENV: "production",
        JWT_SECRET: "bundle-test-secret-bundle-test-secret-0123456789",
        LOG_LEVEL: "silent",
        BCRYPT_COST: "10",
        QUEUE_DRIVER: "sqs",
        SQS_QUEUE_URL_CLASSIFY: url("classify"),
        SQS_QUEUE_URL_EXTRACT: url("extract"),
        SQS_QUEUE_URL_ROUTE: url("route"),
        SQS_ENDPOINT: fauxqs.address,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_SESSION_TOKEN: "test",
        LLM_PROVIDER: "openai",
        OPENAI_API_KEY: "sk-test",
        OPENAI_BASE_URL: simulator.url,
      };
      const { stdout } = await run(process.execPath, [`${root}test/deploy/bundle-smoke.ts`], {
        cwd: root,
        env,
      });
      const smoke = JSON.parse(stdout.trim().split("\n").at(-1)!);
      expect(smoke).toMatchObject({
        signup: 201,
        submitted: 202,
        widget: { status: 200, type: expect.stringMatching(/^application\/javascript/) },
      });
      expect(smoke.widget.bytes).toBeGreaterThan(1000);
      expect(smoke.classifyMessage).toEqual({
        workflowId: smoke.workflowId,
        step: "classify",
        run: 1,
        try: 1,
      });
      expect(smoke.classifyResult).toEqual({ batchItemFailures: [] });
      expect(smoke.extractMessage).toEqual({ workflowId: smoke.workflowId, step: "extract", run: 1, try: 1 });
      expect(simulator.stats().byStep.classify).toBe(1);
    } finally {
      await fauxqs.stop();
      await simulator.close();
    }
  });
});
