import { reconcile } from "@leadflow/core/workflow/reconcile";
import { lambdaDatabase, lambdaLogger, lambdaStepQueue, lambdaUses, lazy } from "./deps.ts";

lambdaUses({ tokens: false, model: false });

/**
 * SQS cannot deduplicate, so a step waiting in a backlog would be sent again on every round: the grace must
 * outlast a normal backlog. What the reconciler exists for on AWS (an enqueue that failed after its commit) can
 * wait that long; a crashed delivery comes back by itself when its visibility timeout ends.
 */
const GRACE_MS = 10 * 60_000;

const deps = lazy(() => ({ db: lambdaDatabase().db, queue: lambdaStepQueue() }));

/** Lambda entry, run on a schedule (infra/queues.ts): finds lost work in PostgreSQL and enqueues it again. */
export const handler = async () => {
  const result = await reconcile(deps(), { graceMs: GRACE_MS });
  if (result.requeued > 0) lambdaLogger().warn({ ...result }, "reconciler re-enqueued lost work");
  return result;
};
