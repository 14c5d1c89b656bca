/** The anchor run: chains of three no-op jobs through the same step queues (./chain-child.ts), chains/s. */
import { STEP_NAMES, type StepName } from "@leadflow/core/schemas/workflow";
import { BenchChild } from "../support/child.ts";
import { forEachLimited } from "../support/stats.ts";
import { type Quantiles, quantiles } from "./figures.ts";
import { ANCHOR_PREFIX, CHAIN_CHILD, REDIS_URL, SUBMIT_CONCURRENCY } from "./settings.ts";
import type { PipelineBench } from "./setup.ts";

export type AnchorResult = Awaited<ReturnType<typeof runAnchor>>;

export async function runAnchor(bench: PipelineBench, concurrency: number, count: number) {
  await bench.cleanRedis();
  const child = new BenchChild(`anchor(c=${concurrency})`, CHAIN_CHILD, {
    REDIS_URL,
    CHAIN_PREFIX: ANCHOR_PREFIX,
    CHAIN_CONCURRENCY: String(concurrency),
    CHAIN_COUNT: String(count),
  });
  try {
    await child.waitFor("ready", 30_000);
    const firstAdd = Date.now();
    await forEachLimited(
      Array.from({ length: count }, (_, i) => i),
      SUBMIT_CONCURRENCY,
      () => bench.startChain(),
    );
    const done = (await child.waitFor("done", 120_000)) as unknown as { at: number; waits: number[][] };
    const spanMs = done.at - firstAdd;
    const stats = await child.stop();
    return {
      concurrency,
      chains: count,
      spanMs,
      chainsPerSecond: count / (spanMs / 1000),
      queueWaitMs: Object.fromEntries(
        STEP_NAMES.map((s, i) => [s, quantiles(done.waits[i] ?? [])]),
      ) as Record<StepName, Quantiles>,
      workerCpuSeconds: (stats?.cpuSeconds as number) ?? null,
    };
  } finally {
    child.kill();
    await child.exited;
  }
}
