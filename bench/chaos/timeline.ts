/** What the run records as it goes, shared by its phases and its report: the clock, the timeline, the outage. */
import { loadavg } from "node:os";

const t0 = Date.now();
export const LOAD_AT_START = loadavg()[0]!;
export const stamp = () => `[chaos ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
export const say = (message: string) => process.stderr.write(`${stamp()} ${message}\n`);
export const out = (line = "") => process.stdout.write(`${line}\n`);

/** When each model call reached the simulator, for the per-minute peaks on either side of the Redis restart. */
export const arrivals: number[] = [];

/** When the run's Redis was down: first-try errors in this window are the outage's. */
export const redisDown: { from: number; to: number | null } = { from: Number.POSITIVE_INFINITY, to: null };

export const timeline: Array<{ at_s: number; event: string }> = [];
export const mark = (event: string) => {
  timeline.push({ at_s: Math.round((Date.now() - t0) / 100) / 10, event });
  say(event);
};
