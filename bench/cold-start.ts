// `npm run bench:cold-start`: for each Lambda bundle (dist/lambda/<name>/index.mjs, built first by the npm
// script), a fresh `node` process imports it and serves its first event; the time of the import and of that first
// event is printed per function beside the bundle's size. Goal: import + first event under 300 ms each.
//
// The step consumers and the dead-letter consumer get an SQS message for a workflow that does not exist, so they
// do their real first query against PostgreSQL (runStep answers not_claimed); the API gets GET /healthz through a
// function URL event; migrate finds a database already migrated. DATABASE_URL's server hosts a bench database.
// Then classify once more with a step that runs: its first event claims a real workflow's step, asks the model
// (the simulator, answering at once), settles, and hands on to extract through SQS (fauxqs): what a cold start
// whose first message is real work costs, the model's own latency aside.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { signUp } from "@leadflow/core/auth/users";
import { connectDatabase } from "@leadflow/core/db/client";
import { submitLead } from "@leadflow/core/leads/submit";
import { startFauxqs } from "fauxqs";
import { startSimulator } from "../functions/simulator/server.ts";
import {
  bundleBytes,
  LAMBDA_DIST,
  LAMBDA_FUNCTIONS,
  type LambdaFunctionName,
} from "../scripts/build-lambda.ts";
import { functionUrlEvent, sqsEvent, sqsRecord, stepJobRecord } from "../test/deploy/lambda-events.ts";
import { benchDatabaseUrl, recreateDatabase } from "./support/database.ts";
import { percentile } from "./support/stats.ts";

const GOAL_MS = 300;
const CHILD = fileURLToPath(new URL("./cold-start-child.mjs", import.meta.url));
const RUNS = Number(process.env.COLD_START_RUNS ?? 5);

interface ChildResult {
  import_ms: number;
  first_event_ms: number;
  /** CPU time (user + system) of import + first event: steadier than wall time on a busy machine. */
  cpu_ms: number;
  /** CPU time node itself took to start, before the import: the scale to read cpu_ms against. */
  startup_cpu_ms: number;
  outcome: string;
}

function firstEvent(name: LambdaFunctionName) {
  const job = (step: "classify" | "extract" | "route") => ({
    workflowId: randomUUID(),
    step,
    run: 1,
    try: 1,
  });
  switch (name) {
    case "api":
      return functionUrlEvent("GET", "/healthz");
    case "classify":
    case "extract":
    case "route":
      return sqsEvent(stepJobRecord(job(name)));
    case "dead-letter":
      return sqsEvent(stepJobRecord(job("classify")));
    case "webhooks":
      // A try of a delivery that does not exist: claims nothing, sends nothing.
      return sqsEvent(
        sqsRecord(JSON.stringify({ deliveryId: randomUUID(), attempt: 1 }), { queue: "leadflow-webhooks" }),
      );
    case "reconcile":
    case "webhook-dispatch":
      return {
        version: "0",
        id: randomUUID(),
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: "123456789012",
        time: new Date().toISOString(),
        region: "us-east-1",
        resources: ["arn:aws:events:us-east-1:123456789012:rule/leadflow-reconciler"],
        detail: {},
      };
    case "migrate":
      return {};
  }
}

function describe(name: LambdaFunctionName, result: unknown): string {
  if (name === "api") return `HTTP ${(result as { statusCode: number }).statusCode}`;
  if (name === "migrate") return (result as { status: string }).status;
  if (name === "reconcile") return `${(result as { requeued: number }).requeued} requeued`;
  if (name === "webhook-dispatch") return `${(result as { enqueued: number }).enqueued} enqueued`;
  const failures = (result as { batchItemFailures: unknown[] }).batchItemFailures.length;
  return failures === 0 ? "batch ok" : `${failures} failed`;
}

/** A fresh `node` process that imports the bundle and serves the event (or, for "empty", does nothing). */
function runChild(
  name: LambdaFunctionName | "empty",
  env: NodeJS.ProcessEnv,
  event: unknown = name === "empty" ? undefined : firstEvent(name),
): Promise<ChildResult & { wall_ms: number }> {
  const args =
    name === "empty"
      ? ["-e", ""]
      : [CHILD, `${LAMBDA_DIST}/${name}/index.mjs`, JSON.stringify(event), `leadflow-bench-${name}`];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d) => {
      out += d;
    });
    proc.stderr.on("data", (d) => {
      err += d;
    });
    proc.on("exit", (code) => {
      const wall_ms = performance.now() - started;
      if (name === "empty")
        return resolve({
          import_ms: 0,
          first_event_ms: 0,
          cpu_ms: 0,
          startup_cpu_ms: 0,
          outcome: "",
          wall_ms,
        });
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !line.startsWith("{"))
        return reject(new Error(`${name} exited ${code}: ${err || out}`));
      const report = JSON.parse(line) as Omit<ChildResult, "outcome"> & { result: unknown };
      resolve({ ...report, outcome: describe(name, report.result), wall_ms });
    });
  });
}

const median = (xs: number[]) => percentile(xs, 0.5) ?? Number.NaN;

async function main() {
  // A fresh database each run: steps an earlier run left unfinished would send the reconcile function to SQS.
  const url = new URL(benchDatabaseUrl("leadflow_bench_cold_start"));
  await recreateDatabase(url.toString());
  const fake = "https://sqs.us-east-1.amazonaws.com/123456789012";
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // The environment infra/ gives the functions on AWS, with local stand-ins.
    NODE_ENV: "production",
    JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
    DATABASE_URL: url.toString(),
    DATABASE_POOL_SIZE: "2",
    QUEUE_DRIVER: "sqs",
    SQS_QUEUE_URL_CLASSIFY: `${fake}/leadflow-classify`,
    SQS_QUEUE_URL_EXTRACT: `${fake}/leadflow-extract`,
    SQS_QUEUE_URL_ROUTE: `${fake}/leadflow-route`,
    SQS_QUEUE_URL_WEBHOOKS: `${fake}/leadflow-webhooks`,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    LLM_PROVIDER: "openai",
    OPENAI_API_KEY: "sk-bench-never-called",
    LOG_LEVEL: "silent",
    // Flags you mean to set on the functions (e.g. --max-semi-space-size) can be tried here.
    ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}),
  };

  // Rounds over every function rather than one function's runs in a row, so a burst of load elsewhere on the
  // machine spreads over all of them instead of landing on one.
  const runs = new Map<LambdaFunctionName, Array<ChildResult & { wall_ms: number }>>(
    LAMBDA_FUNCTIONS.map((name) => [name, []]),
  );
  const loads: number[] = [];
  const empty: number[] = [];
  for (let round = 0; round < RUNS; round++) {
    loads.push(loadavg()[0] ?? 0);
    empty.push((await runChild("empty", env)).wall_ms);
    for (const name of LAMBDA_FUNCTIONS) runs.get(name)?.push(await runChild(name, env));
  }

  console.log(
    `cold start: ${RUNS} fresh node processes per function, median (min-max) ms; goal < ${GOAL_MS} ms for import + first event\n`,
  );
  const header = ["function", "index.mjs", "import", "first event", "import + first", "cpu", "outcome"];
  const widths = [12, 9, 14, 14, 16, 14, 0];
  const row = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" ");
  console.log(row(header));
  const cell = (xs: number[]) =>
    `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;
  let worst = 0;
  for (const name of LAMBDA_FUNCTIONS) {
    const { entryBytes } = await bundleBytes(name);
    const r = runs.get(name) ?? [];
    const totals = r.map((x) => x.import_ms + x.first_event_ms);
    worst = Math.max(worst, median(totals));
    console.log(
      row([
        name,
        `${(entryBytes / 1024).toFixed(0)} KiB`,
        cell(r.map((x) => x.import_ms)),
        cell(r.map((x) => x.first_event_ms)),
        cell(totals),
        cell(r.map((x) => x.cpu_ms)),
        ` ${r[0]?.outcome}`,
      ]),
    );
  }
  console.log(`\nslowest median import + first event: ${worst.toFixed(0)} ms (goal < ${GOAL_MS} ms)`);
  console.log(
    `machine: ${cpus().length} CPUs, load average ${median(loads).toFixed(1)} during the runs; an empty node process took ${median(empty).toFixed(0)} ms from spawn to exit and node's start-up ${median([...runs.values()].flat().map((r) => r.startup_cpu_ms)).toFixed(0)} ms of CPU (wall times grow with load; cpu is user + system time)`,
  );

  const real = await realStepRuns(url.toString(), env);
  const totals = real.map((x) => x.import_ms + x.first_event_ms);
  console.log(
    `\nclassify, first event a step that runs (claim, model call on the simulator, settle, hand on through fauxqs): import ${cell(real.map((x) => x.import_ms))}, first event ${cell(real.map((x) => x.first_event_ms))}, import + first ${cell(totals)}, cpu ${cell(real.map((x) => x.cpu_ms))}; ${real[0]?.outcome}`,
  );
}

/** Fresh classify processes, each handed the message of a step that is really there to claim. */
async function realStepRuns(databaseUrl: string, baseEnv: NodeJS.ProcessEnv) {
  const database = connectDatabase(databaseUrl, 2);
  const simulator = await startSimulator({ port: 0 });
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  try {
    const user = await signUp(
      database.db,
      { email: `cold-start-${randomUUID()}@example.test`, password: "correct horse battery" },
      10,
    );
    const queueUrl = (step: string) => fauxqs.createQueue(`cold-start-${step}`).queueUrl;
    const env = {
      ...baseEnv,
      SQS_QUEUE_URL_CLASSIFY: queueUrl("classify"),
      SQS_QUEUE_URL_EXTRACT: queueUrl("extract"),
      SQS_QUEUE_URL_ROUTE: queueUrl("route"),
      SQS_ENDPOINT: fauxqs.address,
      OPENAI_BASE_URL: simulator.url,
    };
    const noQueue = { enqueue: async () => {}, close: async () => {} };
    const results: Array<ChildResult & { wall_ms: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      const lead = await submitLead({ db: database.db, queue: noQueue }, user.id, {
        name: "Dana Whitfield",
        contact_channel: "whatsapp",
        contact: "+44 7700 900123",
        message: "Hi, how much for a deep clean of a 3-bedroom flat in Leeds next Friday?",
      });
      const job = { workflowId: lead.workflow.id, step: "classify" as const, run: 1, try: 1 };
      results.push(await runChild("classify", env, sqsEvent(stepJobRecord(job))));
    }
    const handedOn = fauxqs.inspectQueue("cold-start-extract")?.messages.ready.length ?? 0;
    if (handedOn !== RUNS || simulator.stats().byStep.classify !== RUNS)
      throw new Error(
        `expected ${RUNS} model calls and hand-ons, got ${simulator.stats().byStep.classify} and ${handedOn}`,
      );
    return results;
  } finally {
    await fauxqs.stop();
    await simulator.close();
    await database.close();
  }
}

await main();
