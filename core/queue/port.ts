import type { StepName } from "../schemas/workflow.ts";

/** One delivery of one step of one workflow. `run` counts resumes, `try` counts transient retries. */
export interface StepJob {
  workflowId: string;
  step: StepName;
  run: number;
  try: number;
}

/**
 * The queue as the workflow sees it. Adding a job whose id already exists changes nothing, so a re-enqueue
 * after a crash or by the reconciler can never make a step run twice.
 */
export interface StepQueue {
  enqueue(job: StepJob, options?: { delayMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export type StepJobHandler = (job: StepJob) => Promise<void>;

/** Deterministic: the same delivery always has the same id (no `:`, never a bare integer, as BullMQ requires). */
export const stepJobId = (job: StepJob) => `${job.workflowId}.${job.step}.r${job.run}.t${job.try}`;
