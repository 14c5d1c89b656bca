/**
 * How many worker processes are attached to the step queues right now: BullMQ names each worker's connection
 * (CLIENT SETNAME), so the least number of workers on any one step queue is the number of workers up and
 * consuming. Null while Redis does not answer.
 */
import { stepQueueName } from "@leadflow/core/queue/bullmq";
import { STEP_NAMES } from "@leadflow/core/schemas/workflow";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { sleep } from "../../scripts/support/processes.ts";

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
