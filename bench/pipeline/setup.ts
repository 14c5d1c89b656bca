/** What every run of the pipeline benchmark shares: its database, simulator, queues, user, and their cleanup. */
import { randomUUID } from "node:crypto";
import { connectDatabase } from "@leadflow/core/db/client";
import { users } from "@leadflow/core/db/schema";
import { createBullmqStepQueue } from "@leadflow/core/queue/bullmq";
import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { startSimulator } from "../../functions/simulator/server.ts";
import { recreateDatabase } from "../support/database.ts";
import { ANCHOR_PREFIX, DATABASE_URL, REDIS_PREFIX, REDIS_URL, SUBMIT_CONCURRENCY } from "./settings.ts";

/** Deletes the bench's own keys (every one under its prefix, the anchor's and the profile's included). */
async function cleanRedis(redis: Redis) {
  let cursor = "0";
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${REDIS_PREFIX}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) removed += await redis.unlink(...keys);
  } while (cursor !== "0");
  return removed;
}

export type PipelineBench = Awaited<ReturnType<typeof openPipelineBench>>;

/** A fresh database (dropped, created, migrated) and an empty Redis prefix, then the clients on them. */
export async function openPipelineBench() {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  await recreateDatabase(DATABASE_URL);
  await cleanRedis(redis);
  const simulator = await startSimulator({ port: 0, latencyMs: 0 });
  const database = connectDatabase(DATABASE_URL, SUBMIT_CONCURRENCY);
  const { db } = database;
  const stepQueue = createBullmqStepQueue({ redisUrl: REDIS_URL, prefix: REDIS_PREFIX });
  const anchorQueue = createBullmqStepQueue({ redisUrl: REDIS_URL, prefix: ANCHOR_PREFIX });
  const [user] = await db
    .insert(users)
    .values({ email: "bench-pipeline@example.com", passwordHash: "not-a-login" })
    .returning({ id: users.id });
  return {
    db,
    simulator,
    stepQueue,
    userId: user!.id,
    /** Starts one anchor chain: its first job, as a lead's classify job would be. */
    startChain: () => anchorQueue.enqueue({ workflowId: randomUUID(), step: "classify", run: 1, try: 1 }),
    cleanRedis: () => cleanRedis(redis),
    /** Fresh tables and queues for a run (no worker is alive while this runs). */
    async reset() {
      await db.execute(sql`truncate table leads, workflows, workflow_steps, step_attempts, workflow_events`);
      await cleanRedis(redis);
    },
    async close() {
      await anchorQueue.close().catch(() => {});
      await stepQueue.close().catch(() => {});
      await cleanRedis(redis).catch(() => {});
      redis.disconnect();
      await simulator.close().catch(() => {});
      await database.close().catch(() => {});
    },
  };
}
