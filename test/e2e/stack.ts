import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { loadConfig } from "@leadflow/core/config";
import { appRoleUrl } from "@leadflow/core/db/app-role";
import { createLogger } from "@leadflow/core/logger";
import { createApp } from "../../functions/api/app.ts";
import { createApiDeps } from "../../functions/api/deps.ts";
import { startSimulator } from "../../functions/simulator/server.ts";
import { startWorker } from "../../functions/worker/worker.ts";
import { freePort } from "../../scripts/support/processes.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const WEB_ENTRY = `${root}web/build/index.js`;

export type Stack = Awaited<ReturnType<typeof startStack>>;

async function waitForHttp(url: string, child: ChildProcess, output: () => string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`web server exited (${child.exitCode}):\n${output()}`);
    try {
      const res = await fetch(url, { redirect: "manual" });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`web server did not answer at ${url} within ${timeoutMs} ms:\n${output()}`);
}

/** `node web/build/index.js` as `npm start` runs it, on a free port, with `env` over this process's. */
export async function startWebServer(env: Record<string, string>) {
  const webPort = await freePort();
  let output = "";
  const web = spawn(process.execPath, [WEB_ENTRY], {
    cwd: root,
    env: { ...process.env, PORT: String(webPort), HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  web.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  web.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const url = `http://127.0.0.1:${webPort}`;
  await waitForHttp(`${url}/login`, web, () => output);
  return {
    url,
    output: () => output,
    async close() {
      if (web.exitCode !== null) return;
      const exited = new Promise((resolve) => web.once("exit", resolve));
      web.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (web.exitCode === null) web.kill("SIGKILL");
    },
  };
}

/**
 * The whole system for browser tests, in this process except the web server: the simulator, the API (over a
 * real socket), the worker, and `node web/build/index.js` as `npm start` runs it. The run's isolated database
 * comes from the global setup; the Redis prefix gets a suffix of its own so no other suite's worker takes
 * these jobs.
 */
export async function startStack(
  options: {
    simulatorLatencyMs?: { min: number; max: number };
    /** The suite's own settings for the API and the worker. */
    env?: Record<string, string>;
    /** The web server's own variables (e.g. LIVE_UPDATES), over this process's. */
    webEnv?: Record<string, string>;
  } = {},
) {
  if (!existsSync(WEB_ENTRY)) {
    throw new Error(`${WEB_ENTRY} is missing: run \`npm run build -w web\` (npm test's pretest does).`);
  }
  const simulator = await startSimulator({ port: 0, latencyMs: options.simulatorLatencyMs ?? 0 });
  const env = {
    ...process.env,
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    BCRYPT_COST: "10",
    REDIS_PREFIX: `${process.env.REDIS_PREFIX ?? "leadflow"}web${randomBytes(3).toString("hex")}`,
    LLM_PROVIDER: "simulator",
    OPENAI_BASE_URL: simulator.url,
    STEP_BACKOFF_BASE_MS: "50",
    STEP_BACKOFF_CAP_MS: "200",
    AUTH_RATE_LIMIT: "1000",
    LEADS_RATE_LIMIT: "1000",
    WORKER_METRICS_PORT: "0",
    // As npm start runs them: the API and the worker log in as the app role, which row-level security binds.
    DATABASE_APP_URL: appRoleUrl(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/leadflow"),
    // The suite's own settings for the API and the worker (e.g. WEBHOOK_ALLOW_PRIVATE for a local receiver).
    ...options.env,
  } as NodeJS.ProcessEnv;
  const config = loadConfig(env);
  const deps = createApiDeps(config);
  let apiServer: Server | undefined;
  const apiPort = await new Promise<number>((resolve) => {
    const s = serve({ fetch: createApp(deps).fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve(info.port),
    );
    apiServer = s as Server;
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const worker = startWorker(config, createLogger({ level: "silent", name: "leadflow-worker-e2e" }));

  const web = await startWebServer({ ...options.webEnv, API_URL: apiUrl });
  const webUrl = web.url;
  const output = web.output;

  return {
    webUrl,
    apiUrl,
    simulator,
    config,
    webOutput: output,
    /** A JSON call to the API as `token`'s user: its status and parsed body (null when it has none). */
    async call(method: string, path: string, token: string, body?: unknown) {
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    },
    async close() {
      await web.close();
      await worker.close();
      await new Promise<void>((resolve) => {
        if (!apiServer) return resolve();
        apiServer.close(() => resolve());
        apiServer.closeAllConnections();
      });
      await deps.close();
      await simulator.close();
    },
  };
}
