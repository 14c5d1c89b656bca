/**
 * What the children said (pino JSON lines at LOG_LEVEL=warn): how often the reconciler found lost work and why,
 * leases lost to a takeover, enqueues the API left to the reconciler, and anything that threw.
 */
import { readFile } from "node:fs/promises";

export interface LogCounts {
  reconcilerRounds: number;
  requeued: number;
  requeuedByReason: Record<string, number>;
  reconcilerFailures: number;
  leaseLost: number;
  jobThrew: number;
  workerErrors: number;
  apiEnqueueFailed: number;
  apiRateLimitUnavailable: number;
  apiErrors: number;
  /** Error-level messages by text, for anything not counted above. */
  otherErrors: Record<string, number>;
}

export async function countLogs(files: { worker: string[]; api: string[] }): Promise<LogCounts> {
  const counts: LogCounts = {
    reconcilerRounds: 0,
    requeued: 0,
    requeuedByReason: {},
    reconcilerFailures: 0,
    leaseLost: 0,
    jobThrew: 0,
    workerErrors: 0,
    apiEnqueueFailed: 0,
    apiRateLimitUnavailable: 0,
    apiErrors: 0,
    otherErrors: {},
  };
  const lines = async (file: string) =>
    (await readFile(file, "utf8").catch(() => ""))
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  for (const file of files.worker) {
    for (const entry of await lines(file)) {
      switch (entry.msg) {
        case "reconciler re-enqueued lost work": {
          counts.reconcilerRounds++;
          counts.requeued += Number(entry.requeued ?? 0);
          for (const [reason, n] of Object.entries((entry.reasons as Record<string, number>) ?? {})) {
            counts.requeuedByReason[reason] = (counts.requeuedByReason[reason] ?? 0) + n;
          }
          break;
        }
        case "reconciler round failed":
          counts.reconcilerFailures++;
          break;
        case "step lease lost to another delivery; stopping":
          counts.leaseLost++;
          break;
        case "step job threw":
          counts.jobThrew++;
          break;
        case "worker error":
          counts.workerErrors++;
          break;
        default:
          if (Number(entry.level) >= 50) {
            const key = `worker: ${String(entry.msg)}`;
            counts.otherErrors[key] = (counts.otherErrors[key] ?? 0) + 1;
          }
      }
    }
  }
  for (const file of files.api) {
    for (const entry of await lines(file)) {
      if (entry.msg === "enqueue failed; the reconciler will start this workflow") counts.apiEnqueueFailed++;
      else if (entry.msg === "rate limit unavailable; request allowed") counts.apiRateLimitUnavailable++;
      else if (Number(entry.level) >= 50) {
        counts.apiErrors++;
        const key = `api: ${String(entry.msg)}`;
        counts.otherErrors[key] = (counts.otherErrors[key] ?? 0) + 1;
      }
    }
  }
  return counts;
}
