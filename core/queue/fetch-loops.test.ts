import { describe, expect, it } from "vitest";
import { fetchLoopSlots, SLOTS_PER_FETCH_LOOP } from "./bullmq.ts";

describe("fetchLoopSlots", () => {
  it.each([1, 7, 8, 9, 16, 50, 101])("splits %i slots over loops of at most the limit, nearly even", (n) => {
    const slots = fetchLoopSlots(n);
    expect(slots.reduce((a, b) => a + b, 0)).toBe(n);
    expect(slots.length).toBe(Math.ceil(n / SLOTS_PER_FETCH_LOOP));
    expect(Math.max(...slots)).toBeLessThanOrEqual(SLOTS_PER_FETCH_LOOP);
    expect(Math.max(...slots) - Math.min(...slots)).toBeLessThanOrEqual(1);
  });
});
