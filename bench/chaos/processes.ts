/**
 * The chaos run's child processes: a private redis-server it may SIGKILL and bring back empty, worker processes
 * it may SIGKILL, and the API. Adapted from test/support/processes.ts (a bench does not import from test/), with
 * each child's output kept in a log file so the report can count what the reconciler and the API said.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stepQueueName } from "@leadflow/core/queue/bullmq";
import { STEP_NAMES } from "@leadflow/core/schemas/workflow";
import { Queue } from "bullmq";
import { Redis } from "ioredis";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Every child still alive, so one synchronous call can kill them all (on error, signal or exit). */
const live = new Set<ChildProcess>();

export function killEveryChild(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  live.clear();
}

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A redis-server of the run's own on a fixed free port; nothing on disk, so a restart comes back empty. */
export async function startPrivateRedis() {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | null = null;
  const ping = async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === "PONG";
    } finally {
      probe.disconnect();
    }
  };
  const controls = {
    url,
    port,
    async start() {
      server = track(
        spawn(
          "redis-server",
          ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
          { stdio: "ignore" },
        ),
      );
      await until(ping, 10_000, `redis on ${port}`);
    },
    /** SIGKILL: Redis loses everything it held. */
    async kill() {
      const s = server;
      server = null;
      if (!s) return;
      s.kill("SIGKILL");
      await exited(s);
    },
  };
  await controls.start();
  return controls;
}

/** A Node child running one of the repository's entry points, its stdout and stderr appended to a log file. */
export interface NodeChild {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** SIGKILL (the chaos) or SIGTERM (a graceful stop); resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  alive(): boolean;
}

function spawnNode(name: string, entry: string, env: Record<string, string>, logDir: string): NodeChild {
  const logFile = join(logDir, `${name}.log`);
  const out: WriteStream = createWriteStream(logFile, { flags: "a" });
  const child = track(
    spawn(process.execPath, [entry], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  child.once("exit", (code, signal) => {
    out.end(`\n{"chaos":"exited","code":${code},"signal":${JSON.stringify(signal)}}\n`);
  });
  return {
    name,
    child,
    logFile,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = exited(child);
      child.kill(signal);
      if (signal !== "SIGKILL") {
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await gone;
        clearTimeout(timer);
      }
      await gone;
    },
  };
}

/** The real worker entry point (functions/worker/main.ts) in a process of its own. */
export function spawnWorker(name: string, env: Record<string, string>, logDir: string): NodeChild {
  return spawnNode(name, "functions/worker/main.ts", env, logDir);
}

/** The real API (functions/api/main.ts) on a free port, ready when /healthz answers. */
export async function startApi(env: Record<string, string>, logDir: string) {
  const port = await freePort();
  const api = spawnNode("api", "functions/api/main.ts", { ...env, API_PORT: String(port) }, logDir);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!api.alive()) throw new Error(`the API exited before it was ready (see ${api.logFile})`);
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the API was not ready within 30 s (see ${api.logFile})`);
    await sleep(100);
  }
  return { ...api, url };
}

/**
 * How many worker processes are attached to the step queues right now: BullMQ names each worker's connection
 * (CLIENT SETNAME), so the least number of workers on any one step queue is the number of workers up and
 * consuming. Null while Redis does not answer.
 */
export function watchWorkers(redisUrl: string, prefix: string) {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 1_000 });
  connection.on("error", () => {});
  const queues = STEP_NAMES.map((step) => new Queue(stepQueueName(step), { connection, prefix }));
  for (const q of queues) q.on("error", () => {});
  const count = async (): Promise<number | null> => {
    try {
      return Math.min(...(await Promise.all(queues.map((q) => q.getWorkersCount()))));
    } catch {
      return null;
    }
  };
  return {
    count,
    /** Resolves with the time waited once at least `n` workers consume every step queue; null on timeout. */
    async until(n: number, timeoutMs: number): Promise<number | null> {
      const started = Date.now();
      while (Date.now() - started < timeoutMs) {
        if (((await count()) ?? -1) >= n) return Date.now() - started;
        await sleep(100);
      }
      return null;
    },
    async close() {
      await Promise.all(queues.map((q) => q.close().catch(() => {})));
      connection.disconnect();
    },
  };
}
