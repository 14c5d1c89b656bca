import type { Database } from "@leadflow/core/db/client";
import type { Logger } from "@leadflow/core/logger";
import type { StepQueue } from "@leadflow/core/queue/port";
import { reconcile } from "@leadflow/core/workflow/reconcile";

/**
 * Runs the reconciler at start-up (Redis may have come back empty while we were down) and every `intervalMs`
 * after. A round that fails (PostgreSQL or Redis away) is logged and tried again next time.
 */
export function startReconciler(
  deps: { db: Database; queue: StepQueue },
  options: { intervalMs: number; graceMs: number },
  log: Logger,
) {
  let running: Promise<void> | null = null;
  const round = () => {
    running ??= reconcile(deps, { graceMs: options.graceMs })
      .then((result) => {
        if (result.requeued > 0) log.warn({ ...result }, "reconciler re-enqueued lost work");
      })
      .catch((err) => log.error({ err }, "reconciler round failed"))
      .finally(() => {
        running = null;
      });
    return running;
  };
  void round();
  const timer = setInterval(round, options.intervalMs);
  return {
    round,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
