/** The load: leads submitted through core's submitLead in this process, in a burst or at a steady pace. */
import type { Database } from "@leadflow/core/db/client";
import { submitLead } from "@leadflow/core/leads/submit";
import type { StepQueue } from "@leadflow/core/queue/port";
import { leadFor } from "../support/leads.ts";
import { forEachLimited, sleep } from "../support/stats.ts";
import { DEADLINE_AT, SUBMIT_CONCURRENCY } from "./settings.ts";

export interface Submission {
  submitMs: number;
  /** Leads submitted; fewer than asked when the deadline came first (the rest are reported as left out). */
  submitted: number;
  /** Enqueues that failed after their lead was committed. */
  errors: unknown[];
}

/** A burst keeps SUBMIT_CONCURRENCY submissions in flight; `pacedPerSecond` starts one every 1/rate s instead. */
export async function submitLeads(
  deps: { db: Database; queue: StepQueue; userId: string },
  options: { leads: number; pacedPerSecond?: number },
  startedAt: number,
): Promise<Submission> {
  const errors: unknown[] = [];
  let submitted = 0;
  const submitOne = async (i: number) => {
    if (Date.now() > DEADLINE_AT) return; // the budget is spent: the rest are left out (reported as such)
    submitted++;
    await submitLead(
      { db: deps.db, queue: deps.queue, onEnqueueFailure: (err) => errors.push(err) },
      deps.userId,
      leadFor(i),
    );
  };
  const indexes = Array.from({ length: options.leads }, (_, i) => i);
  if (options.pacedPerSecond) {
    const interval = 1000 / options.pacedPerSecond;
    const inFlight: Promise<void>[] = [];
    for (const i of indexes) {
      const wait = startedAt + i * interval - performance.now();
      if (wait > 1) await sleep(wait);
      inFlight.push(submitOne(i));
    }
    await Promise.all(inFlight);
  } else {
    await forEachLimited(indexes, SUBMIT_CONCURRENCY, submitOne);
  }
  return { submitMs: performance.now() - startedAt, submitted, errors };
}
