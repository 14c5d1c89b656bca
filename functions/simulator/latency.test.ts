import { describe, expect, it } from "vitest";
import { latencySampler } from "./latency.ts";
import { seededRandom } from "./random.ts";

const samples = (spec: Parameters<typeof latencySampler>[0], n = 20_000) => {
  const next = latencySampler(spec, seededRandom(3));
  return Array.from({ length: n }, next).sort((a, b) => a - b);
};

describe("latencySampler", () => {
  it("is zero by default and fixed for a number", () => {
    expect(new Set(samples(undefined, 50))).toEqual(new Set([0]));
    expect(new Set(samples(120, 50))).toEqual(new Set([120]));
  });

  it("stays within min and max", () => {
    const s = samples({ min: 50, max: 80 });
    expect(s[0]).toBeGreaterThanOrEqual(50);
    expect(s.at(-1)).toBeLessThanOrEqual(80);
    expect(s.at(-1)! - s[0]!).toBeGreaterThan(25);
  });

  it("has the requested mean and 99th percentile", () => {
    const s = samples({ mean: 200, p99: 1000 });
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    const p99 = s[Math.floor(s.length * 0.99)]!;
    expect(mean).toBeGreaterThan(180);
    expect(mean).toBeLessThan(220);
    expect(p99).toBeGreaterThan(850);
    expect(p99).toBeLessThan(1150);
  });
});
