import { afterAll } from "vitest";
import { createFileDatabase, deleteRedisKeys, dropDatabase, fileRedisPrefix } from "./support/isolation.ts";

// Runs before each test file's own imports (vitest setupFiles): the file gets its own database, copied from the
// run's migrated template, and its own Redis prefix, so its workers and reconcilers see its work alone.
const database = await createFileDatabase();
const redisPrefix = fileRedisPrefix();
process.env.DATABASE_URL = database.url;
process.env.REDIS_PREFIX = redisPrefix;

afterAll(async () => {
  await dropDatabase(database.name);
  await deleteRedisKeys(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", redisPrefix);
});
