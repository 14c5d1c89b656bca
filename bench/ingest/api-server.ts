import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "../../scripts/support/processes.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 3_000;
const OUTPUT_LINES_KEPT = 40;

export interface ApiServer {
  url: string;
  /** The server's last lines of output, for the error message when something goes wrong. */
  output(): string;
  stop(): Promise<void>;
  /** CPU time the server has used so far, user and system; null where /proc does not exist. */
  cpuSeconds(): Promise<number | null>;
  /** Synchronous last resort for an exit handler: no waiting, no shutdown. */
  kill(): void;
}

/**
 * The real API (functions/api/main.ts) in its own process, as in production: the load generator must not
 * share an event loop with the server it measures.
 */
export async function startApiServer(env: Record<string, string>): Promise<ApiServer> {
  const port = await freePort();
  // BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, "functions/api/main.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, API_PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split("\n").filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - OUTPUT_LINES_KEPT));
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);

  const server: ApiServer = {
    url: `http://127.0.0.1:${port}`,
    output: () => lines.join("\n"),
    stop: () => stopChild(child),
    cpuSeconds: () => processCpuSeconds(child.pid!),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
  try {
    await waitUntilReady(server.url, child);
  } catch (err) {
    await server.stop();
    throw new Error(`${(err as Error).message}\n--- API output ---\n${server.output()}`);
  }
  return server;
}

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the API exited with code ${child.exitCode} before ready`);
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the API was not ready within ${READY_TIMEOUT_MS} ms`);
}

/** Linux counts a process's CPU time in /proc/<pid>/stat, in clock ticks of 1/100 s. */
const CLOCK_TICKS_PER_SECOND = 100;

async function processCpuSeconds(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (!stat) return null;
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** SIGTERM lets the API close its pools; a server that hangs on shutdown is killed anyway. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** One bench user; every lead of the run belongs to it, like a single busy webhook sender. */
export async function signUpBenchUser(url: string): Promise<{ token: string; userId: string }> {
  const res = await fetch(`${url}/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "bench@leadflow.example", password: "bench-password-1" }),
  });
  const body = (await res.json()) as { access_token: string; user: { id: string } };
  if (res.status !== 201) throw new Error(`signup answered ${res.status}: ${JSON.stringify(body)}`);
  return { token: body.access_token, userId: body.user.id };
}
