import { randomUUID } from "node:crypto";
import { connectDatabase, type DatabaseHandle } from "@leadflow/core/db/client";
import { WORKER_ROLE } from "@leadflow/core/db/scoped";
import { memoryProviderFlow } from "@leadflow/core/llm/flow/memory";
import type { FlowLimits, ProviderFlow } from "@leadflow/core/llm/flow/port";
import { postgresProviderFlow } from "@leadflow/core/llm/flow/postgres";
import { redisProviderFlow } from "@leadflow/core/llm/flow/redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileEnv } from "./support/isolation.ts";

let redis: Redis;
let database: DatabaseHandle;
beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  // As the worker connects: its role may use the flow tables (and the API's may not).
  database = connectDatabase(fileEnv("DATABASE_URL"), 4, { role: WORKER_ROLE });
});
afterAll(async () => {
  redis.disconnect();
  await database.close();
});

// No spread, so the wake-up times can be checked exactly.
const noSpread = () => 0;
const stores: [string, (limits: FlowLimits) => ProviderFlow][] = [
  [
    "redis",
    (limits) =>
      redisProviderFlow(redis, {
        prefix: fileEnv("REDIS_PREFIX"),
        provider: randomUUID(),
        limits,
        random: noSpread,
      }),
  ],
  [
    "postgres",
    (limits) => postgresProviderFlow(database.db, { provider: randomUUID(), limits, random: noSpread }),
  ],
  ["memory", (limits) => memoryProviderFlow(limits, { random: noSpread })],
];

describe.each(stores)("provider flow control in %s", (_name, make) => {
  it("admits requestsPerMinute calls, then names when the oldest leaves the minute", async () => {
    const flow = make({ requestsPerMinute: 3, tokensPerMinute: null });
    const started = Date.now();
    for (let i = 0; i < 3; i++) expect((await flow.admit()).ok).toBe(true);
    const denied = await flow.admit();
    expect(denied).toMatchObject({ ok: false, reason: "requests" });
    if (denied.ok) return;
    expect(denied.untilMs).toBeGreaterThanOrEqual(started + 59_000);
    expect(denied.untilMs).toBeLessThanOrEqual(Date.now() + 60_500);
  });

  it("counts the tokens answers reported and refuses once the minute's tokens are spent", async () => {
    const flow = make({ requestsPerMinute: null, tokensPerMinute: 1000 });
    const first = await flow.admit();
    if (!first.ok) throw new Error("first call refused");
    await flow.charge(first.slot, 600);
    const second = await flow.admit();
    if (!second.ok) throw new Error("second call refused while under the token limit");
    await flow.charge(second.slot, 500);
    expect(await flow.admit()).toMatchObject({ ok: false, reason: "tokens" });
  });

  it("pauses every call after a Retry-After, and only ever moves the pause later", async () => {
    const flow = make({ requestsPerMinute: null, tokensPerMinute: null });
    expect((await flow.admit()).ok).toBe(true);
    const until = Date.now() + 5_000;
    await flow.pause(until);
    await flow.pause(until - 3_000);
    const denied = await flow.admit();
    expect(denied).toMatchObject({ ok: false, reason: "paused" });
    if (!denied.ok) expect(Math.abs(denied.untilMs - until)).toBeLessThanOrEqual(5);
  });

  it("spreads the wake-up of calls turned away together, over the time the budget frees slots", async () => {
    const limits = { requestsPerMinute: 10, tokensPerMinute: null };
    const flow =
      _name === "memory"
        ? memoryProviderFlow(limits, { random: () => 1 })
        : _name === "redis"
          ? redisProviderFlow(redis, {
              prefix: fileEnv("REDIS_PREFIX"),
              provider: randomUUID(),
              limits,
              random: () => 1,
            })
          : postgresProviderFlow(database.db, { provider: randomUUID(), limits, random: () => 1 });
    for (let i = 0; i < 10; i++) expect((await flow.admit()).ok).toBe(true);
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const denied = await flow.admit();
      if (denied.ok) throw new Error("admitted over the limit");
      waits.push(denied.untilMs);
    }
    // Ten calls a minute free a slot every 6 s: the n-th caller turned away is sent n slots further out.
    expect(waits[1]! - waits[0]!).toBeGreaterThanOrEqual(5_900);
    expect(waits[2]! - waits[1]!).toBeGreaterThanOrEqual(5_900);
    expect(waits[2]! - waits[0]!).toBeLessThanOrEqual(12_100);
  });
});

describe("shared by every caller", () => {
  it("two callers under one limit in Redis never take more than it between them", async () => {
    const provider = randomUUID();
    const limits = { requestsPerMinute: 10, tokensPerMinute: null };
    const second = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    try {
      const a = redisProviderFlow(redis, { prefix: fileEnv("REDIS_PREFIX"), provider, limits });
      const b = redisProviderFlow(second, { prefix: fileEnv("REDIS_PREFIX"), provider, limits });
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).admit()));
      expect(results.filter((r) => r.ok)).toHaveLength(10);
    } finally {
      second.disconnect();
    }
  });

  it("two callers under one limit in PostgreSQL never take more than it between them", async () => {
    const provider = randomUUID();
    const limits = { requestsPerMinute: 10, tokensPerMinute: null };
    const a = postgresProviderFlow(database.db, { provider, limits });
    const b = postgresProviderFlow(database.db, { provider, limits });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).admit()));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
  });
});
