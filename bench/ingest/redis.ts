import { createBullmqStepQueue } from "@leadflow/core/queue/bullmq";
import { Redis } from "ioredis";

/** The benchmark's own key prefix: the API under test enqueues here, never into the real queues. */
export const BENCH_REDIS_PREFIX = "lfbench";

/** Deletes every key under the benchmark's prefix (jobs pile up there: no worker runs during the benchmark). */
export async function deletePrefixKeys(redisUrl: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let deleted = 0;
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${BENCH_REDIS_PREFIX}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== "0");
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/** Jobs waiting on the classify queue: one per accepted lead, if every enqueue after commit succeeded. */
export async function countQueuedClassifyJobs(redisUrl: string): Promise<number> {
  const queue = createBullmqStepQueue({ redisUrl, prefix: BENCH_REDIS_PREFIX });
  try {
    const { waiting, delayed } = (await queue.stats()).classify;
    return waiting + delayed;
  } finally {
    await queue.close();
  }
}
