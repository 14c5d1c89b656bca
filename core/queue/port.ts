import type { StepName } from "../schemas/workflow.ts";

/** One delivery of one step of one workflow. `run` counts resumes, `try` counts transient retries. */
export interface StepJob {
  workflowId: string;
  step: StepName;
  run: number;
  try: number;
  /**
   * Set by the reconciler when it takes over a step whose claim expired (a dead worker): the dead worker's job
   * may still look active in the queue, so the takeover needs an id of its own, derived from the expired claim.
   */
  takeover?: string;
  /**
   * Set on a delivery that flow control or the user's budget put off: the step's wait count, so the deferred
   * delivery has an id of its own (the one that deferred it is still active when it is enqueued).
   */
  wait?: number;
  /** Re-asks this try had used before it was put off: the deferred delivery continues the count, never resets it. */
  reasked?: number;
}

/**
 * The queue as the workflow sees it. Adding a job whose id already exists changes nothing, so a re-enqueue
 * after a crash or by the reconciler can never make a step run twice.
 */
export interface EnqueueOptions {
  delayMs?: number;
  /**
   * For the reconciler: when a job with this id already ran (completed or failed) without moving its step on, or
   * was fetched by a worker that is gone, replace it so the step runs again; a job still waiting, or held by a
   * live worker, is left alone.
   */
  replaceFinished?: boolean;
}

export type QueueStats = Record<
  StepName,
  { waiting: number; delayed: number; active: number; failed: number; oldestWaitingAgeMs: number }
>;

export interface StepQueue {
  enqueue(job: StepJob, options?: EnqueueOptions): Promise<void>;
  /** Depth and age of each step queue, for metrics; a queue that cannot tell (SQS) leaves it out. */
  stats?(): Promise<QueueStats>;
  /**
   * Resolves when the queue service answers for every step queue, for readiness checks. Only where the queue is a
   * dependency of its own (SQS); BullMQ's is the Redis the API already checks.
   */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

export type StepJobHandler = (job: StepJob) => Promise<void>;

/** Deterministic: the same delivery always has the same id (no `:`, never a bare integer, as BullMQ requires). */
export const stepJobId = (job: StepJob) =>
  `${job.workflowId}.${job.step}.r${job.run}.t${job.try}${job.takeover ? `.${job.takeover}` : ""}${job.wait ? `.w${job.wait}` : ""}`;
