/** Shared by the anchor's producer (bench/pipeline.ts) and its worker (chain-child.ts). */
export const CHAIN_QUEUES = ["chain-1", "chain-2", "chain-3"] as const;

/** The same options core/queue/bullmq.ts gives a step job, so the anchor pays for the same bookkeeping. */
export const CHAIN_JOB_OPTIONS = {
  attempts: 1,
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};
