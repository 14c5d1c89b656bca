import type { Random } from "./random.ts";

/**
 * How long the simulator waits before answering: a fixed number of ms, uniform between min and max, or a
 * log-normal with the given mean and 99th percentile (real model latency has a long right tail).
 */
export type LatencySpec = number | { min: number; max: number } | { mean: number; p99: number };

/** z-score of the 99th percentile of a standard normal. */
const Z99 = 2.326348;

export function latencySampler(spec: LatencySpec | undefined, random: Random): () => number {
  if (spec === undefined) return () => 0;
  if (typeof spec === "number") return () => Math.max(0, spec);
  if ("min" in spec) {
    const { min, max } = spec;
    return () => Math.round(min + (max - min) * random());
  }
  const { mean, p99 } = spec;
  if (mean <= 0) return () => 0;
  // For a log-normal, mean = exp(mu + s^2/2) and p99 = exp(mu + Z99 s); solve for s, capping it when the
  // requested tail is heavier than a log-normal with that mean can have.
  const gap = Math.log(Math.max(p99, mean) / mean);
  const discriminant = Z99 * Z99 - 2 * gap;
  const sigma = discriminant > 0 ? Z99 - Math.sqrt(discriminant) : Z99;
  const mu = Math.log(mean) - (sigma * sigma) / 2;
  return () => Math.round(Math.exp(mu + sigma * standardNormal(random)));
}

/** Box-Muller transform over the seeded source. */
function standardNormal(random: Random): number {
  const u = 1 - random(); // (0, 1], so the log is finite
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
