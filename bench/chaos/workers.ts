/**
 * How many worker processes are attached to the step queues right now: the queue's own count of its consumers
 * (the fewest on any one step queue is the number of workers up and consuming). Null while Redis does not answer.
 */
import { createBullmqStepQueue } from "@leadflow/core/queue/bullmq";
import { sleep } from "../../scripts/support/processes.ts";

export function watchWorkers(redisUrl: string, prefix: string) {
  const queue = createBullmqStepQueue({ redisUrl, prefix });
  const count = async (): Promise<number | null> => {
    try {
      return await queue.consumers();
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
      await queue.close().catch(() => {});
    },
  };
}
