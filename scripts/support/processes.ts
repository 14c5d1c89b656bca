/**
 * Child processes for the tests and benches that run the system for real (test/resilience.test.ts,
 * bench/chaos.ts): a private redis-server on a free port that can be SIGKILLed and brought back empty, and the
 * worker and the API as processes of their own. Every child is tracked, so one synchronous call kills whatever
 * is left (on error, signal or exit). Neither test nor bench code, so either may import it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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

const isAlive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Resolves with the exit code (null when a signal ended it) once the process is gone. */
function exited(child: ChildProcess): Promise<number | null> {
  if (!isAlive(child)) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/**
 * A redis-server of the caller's own on a fixed free port, so it can be stopped and restarted without touching
 * the Redis everything else uses; nothing on disk, so a restart comes back empty.
 */
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
    /** SIGKILL: Redis loses everything it held. Resolves once it is gone; a no-op when it is not running. */
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

/**
 * Where a child's output goes: with `logDir`, its stdout and stderr are appended to `<logDir>/<name>.log`;
 * without, stdout is dropped and stderr is this process's (a test's failure shows what the child said).
 */
export interface ChildOptions {
  name?: string;
  logDir?: string;
}

/** A Node child running one of the repository's entry points. */
export interface NodeChild {
  name: string;
  child: ChildProcess;
  /** Its output's file, when it was given a log directory. */
  logFile: string | null;
  /**
   * SIGKILL (the default: a crash) or SIGTERM (a graceful stop, made a SIGKILL after 10 s); resolves with the
   * exit code (null when a signal ended it) once the process is gone.
   */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  alive(): boolean;
}

export interface LoggedChild extends NodeChild {
  logFile: string;
}

function spawnNode(entry: string, env: Record<string, string>, options: ChildOptions & { name: string }) {
  const { name, logDir } = options;
  const logFile = logDir ? join(logDir, `${name}.log`) : null;
  const child = track(
    spawn(process.execPath, [entry], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
      stdio: logFile ? ["ignore", "pipe", "pipe"] : ["ignore", "ignore", "inherit"],
    }),
  );
  if (logFile) {
    const out = createWriteStream(logFile, { flags: "a" });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    child.once("exit", (code, signal) => {
      out.end(`\n{"chaos":"exited","code":${code},"signal":${JSON.stringify(signal)}}\n`);
    });
  }
  const handle: NodeChild = {
    name,
    child,
    logFile,
    alive: () => isAlive(child),
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (!isAlive(child)) return child.exitCode;
      const gone = exited(child);
      child.kill(signal);
      if (signal !== "SIGKILL") {
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await gone;
        clearTimeout(timer);
      }
      return gone;
    },
  };
  return handle;
}

/** The real worker entry point (functions/worker/main.ts) in a process of its own, to SIGKILL mid-step. */
export function spawnWorker(
  env: Record<string, string>,
  options: ChildOptions & { logDir: string },
): LoggedChild;
export function spawnWorker(env: Record<string, string>, options?: ChildOptions): NodeChild;
export function spawnWorker(env: Record<string, string>, options: ChildOptions = {}): NodeChild {
  return spawnNode("functions/worker/main.ts", env, { name: "worker", ...options });
}

/** The real API (functions/api/main.ts) on a free port, ready when /healthz answers. */
export async function startApi(
  env: Record<string, string>,
  options: ChildOptions & { logDir: string },
): Promise<LoggedChild & { url: string }>;
export async function startApi(
  env: Record<string, string>,
  options?: ChildOptions,
): Promise<NodeChild & { url: string }>;
export async function startApi(env: Record<string, string>, options: ChildOptions = {}) {
  const port = await freePort();
  const api = spawnNode(
    "functions/api/main.ts",
    { ...env, API_PORT: String(port) },
    { name: "api", ...options },
  );
  const see = api.logFile ? ` (see ${api.logFile})` : "";
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!api.alive()) throw new Error(`the API exited before it was ready${see}`);
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the API was not ready within 30 s${see}`);
    await sleep(100);
  }
  return { ...api, url };
}
