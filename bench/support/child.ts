import { type ChildProcess, fork } from "node:child_process";

/** A message a bench child sends over IPC: always an object with a `type`. */
export interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

const live = new Set<ChildProcess>();

/** Kills every child still alive (SIGKILL): the last resort on error, timeout, signal or exit. */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  live.clear();
}
// Runs even when the bench dies on an uncaught error or calls process.exit: no worker outlives it.
process.on("exit", killAllChildren);

const OUTPUT_KEEP = 16_000;

/**
 * A forked Node process (a `.ts` file, run by Node's type stripping) that talks over IPC. The child exits on
 * its own when the IPC channel closes, so even a SIGKILLed bench leaves nothing behind.
 */
export class BenchChild {
  readonly process: ChildProcess;
  readonly name: string;
  private inbox: ChildMessage[] = [];
  private waiters: Array<{ type: string; resolve: (m: ChildMessage) => void; reject: (e: Error) => void }> =
    [];
  private output = "";
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined = undefined;

  constructor(name: string, file: string, env: Record<string, string>, execArgv: string[] = []) {
    this.name = name;
    this.process = fork(file, [], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      execArgv,
    });
    live.add(this.process);
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-OUTPUT_KEEP);
    };
    this.process.stdout?.on("data", keep);
    this.process.stderr?.on("data", keep);
    this.process.on("message", (message: ChildMessage) => {
      const index = this.waiters.findIndex((w) => w.type === message.type);
      if (index >= 0) {
        const [waiter] = this.waiters.splice(index, 1);
        waiter!.resolve(message);
      } else {
        this.inbox.push(message);
      }
    });
    this.exited = new Promise((resolve) => {
      this.process.on("exit", (code, signal) => {
        live.delete(this.process);
        this.exitCode = code;
        const error = new Error(
          `${this.name} (pid ${this.process.pid}) exited (code ${code}, signal ${signal}) before sending the awaited message.\n--- its output ---\n${this.tail()}`,
        );
        for (const w of this.waiters.splice(0)) w.reject(error);
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** The last few KB the child wrote to stdout/stderr. */
  tail(): string {
    return this.output.trim() || "(nothing)";
  }

  send(message: ChildMessage): void {
    if (this.process.connected) this.process.send(message);
  }

  /** The next message of this type (one already received counts), or an error on exit or timeout. */
  waitFor(type: string, timeoutMs: number): Promise<ChildMessage> {
    const index = this.inbox.findIndex((m) => m.type === type);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0]!);
    if (this.exitCode !== undefined) {
      return Promise.reject(new Error(`${this.name} already exited.\n--- its output ---\n${this.tail()}`));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        type,
        resolve: (m: ChildMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `${this.name} sent no "${type}" within ${timeoutMs} ms.\n--- its output ---\n${this.tail()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Asks the child to stop (it answers with `stats`), then waits for it to exit; SIGKILL after the grace. */
  async stop(graceMs = 15_000): Promise<ChildMessage | undefined> {
    if (this.exitCode !== undefined) return undefined;
    this.send({ type: "stop" });
    let stats: ChildMessage | undefined;
    try {
      stats = await this.waitFor("stats", graceMs);
    } catch {
      // falls through to the kill below
    }
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
    return stats;
  }

  kill(): void {
    if (this.exitCode === undefined) this.process.kill("SIGKILL");
  }
}
