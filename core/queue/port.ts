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

export interface EnqueueOptions {
  delayMs?: number;
  /**
   * For the reconciler: when a job with this id already ran (completed or failed) without moving its step on, or
   * was fetched by a worker that is gone, replace it so the step runs again; a job still waiting, or held by a
   * live worker, is left alone.
   */
  replaceFinished?: boolean;
}

/**
 * The queue as the workflow sees it. Adding a job whose id already exists changes nothing, so a re-enqueue
 * after a crash or by the reconciler can never make a step run twice.
 */
export interface StepQueue {
  enqueue(job: StepJob, options?: EnqueueOptions): Promise<void>;
  /**
   * Resolves when the queue service answers for every step queue, for readiness checks. Only where the queue is a
   * dependency of its own (SQS); BullMQ's is the Redis the API already checks.
   */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

/** One queue's jobs by state, as its queue service counts them (SQS's counts are approximate). */
export interface QueueCounts {
  waiting: number;
  delayed: number;
  /** Delivered and not yet finished. */
  active: number;
  /** Kept as failed in the queue itself; null where failed messages go elsewhere (SQS: the dead-letter queue). */
  failed: number | null;
  /** Age of the oldest waiting job (0 when none waits); null where the queue cannot tell (SQS, without CloudWatch). */
  oldestWaitingAgeMs: number | null;
}

export type QueueStats = Record<StepName, QueueCounts>;

/** What the workers' metrics, the benches and the tests read of the step queues; the workflow never needs it. */
export interface StepQueueInspection {
  stats(): Promise<QueueStats>;
  /**
   * The fewest consumers attached to any step queue right now (BullMQ: its fetch loops, one per worker process
   * at up to 8 slots); null where consumers are not the queue's to know (SQS: Lambda's pollers belong to AWS).
   */
  consumers(): Promise<number | null>;
  /**
   * Ids of one step's jobs that wait to be delivered (waiting or delayed), for checks that the right job is
   * queued; null where the queue cannot list its messages without receiving them (SQS).
   */
  pendingJobIds(step: StepName): Promise<string[] | null>;
}

export type InspectableStepQueue = StepQueue & StepQueueInspection;

export type StepJobHandler = (job: StepJob) => Promise<void>;

/** One delivery as its consumer sees it: the job, and when it was enqueued (epoch ms, as the queue stamped it). */
export interface Delivery<Job> {
  job: Job;
  enqueuedAt: number;
}

export type StepDelivery = Delivery<StepJob>;

/**
 * What a queue's consumer reports besides running the handler, the same from every adapter. Listeners run
 * synchronously, once the delivery is settled, and must not throw.
 */
export interface ConsumerEvents<Job> {
  /** A delivery whose handler returned. */
  onCompleted(listener: (delivery: Delivery<Job>) => void): void;
  /**
   * A delivery whose handler threw, or a message that is no job (`delivery` undefined); the queue redelivers or
   * dead-letters it as it is configured to.
   */
  onFailed(listener: (err: Error, delivery: Delivery<Job> | undefined) => void): void;
  /** The consumer itself went wrong (a lost connection, not a delivery); it keeps trying. */
  onError(listener: (err: Error) => void): void;
}

/** Consumers running in this process (BullMQ workers): ready once attached to their queues. */
export interface Consumers<Job> extends ConsumerEvents<Job> {
  ready(): Promise<void>;
  /** Finishes the deliveries in hand, then lets go of the queue. */
  close(): Promise<void>;
}

export type StepConsumers = Consumers<StepJob>;

/** The listeners of one consumer, and how its adapter calls them. */
export function consumerEvents<Job>() {
  const completed: Array<(delivery: Delivery<Job>) => void> = [];
  const failed: Array<(err: Error, delivery: Delivery<Job> | undefined) => void> = [];
  const errors: Array<(err: Error) => void> = [];
  const listen: ConsumerEvents<Job> = {
    onCompleted: (listener) => void completed.push(listener),
    onFailed: (listener) => void failed.push(listener),
    onError: (listener) => void errors.push(listener),
  };
  return {
    listen,
    completed(delivery: Delivery<Job>) {
      for (const listener of completed) listener(delivery);
    },
    failed(err: Error, delivery: Delivery<Job> | undefined) {
      for (const listener of failed) listener(err, delivery);
    },
    error(err: Error) {
      for (const listener of errors) listener(err);
    },
  };
}

/** Deterministic: the same delivery always has the same id (no `:`, never a bare integer, as BullMQ requires). */
export const stepJobId = (job: StepJob) =>
  `${job.workflowId}.${job.step}.r${job.run}.t${job.try}${job.takeover ? `.${job.takeover}` : ""}${job.wait ? `.w${job.wait}` : ""}`;
