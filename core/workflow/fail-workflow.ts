import { type SQL, sql } from "drizzle-orm";
import { jsonb } from "../db/sql.ts";
import type { StepError, StepName } from "../schemas/workflow.ts";

/** The step's own columns once it has failed for good (the caller guards which row). */
export function failedStepAssignments(error: StepError): SQL {
  return sql`status = 'failed', error = ${jsonb(error)}, finished_at = now(), retry_at = null,
             lease_token = null, lease_until = null`;
}

/**
 * What follows a step failing for good, as common table expressions over a CTE named `settled` that returns the
 * failed step (workflow_id, user_id, name, position, attempts): the steps after it are skipped, the workflow
 * fails with the step's error, and both transitions go into the history. Part of the caller's one statement, so
 * the step's failure and its consequences commit together. Shared by the step runner and the dead-letter path.
 */
export function afterStepFailed(failure: {
  step: StepName;
  error: StepError;
  stepFrom: string;
  workflowFrom: string;
  detail?: Record<string, unknown>;
}): SQL {
  const detail = jsonb({ code: failure.error.code, ...failure.detail });
  const workflowError = jsonb({ ...failure.error, details: { step: failure.step } });
  return sql`
    skipped as (
      update workflow_steps s set status = 'skipped', updated_at = now()
        from settled f
       where s.workflow_id = f.workflow_id and s.status = 'not_started' and s.position > f.position
      returning s.id
    ),
    failed_workflow as (
      update workflows w
         set status = 'failed', error = ${workflowError}, finished_at = now(), updated_at = now(),
             waiting_reason = null, waiting_until = null
        from settled f
       where w.id = f.workflow_id
      returning w.id
    ),
    failure_events as (
      insert into workflow_events (workflow_id, user_id, type, step, attempt, from_status, to_status, detail)
      select f.workflow_id, f.user_id, 'step_failed', f.name, f.attempts, ${failure.stepFrom}::text, 'failed', ${detail}
        from settled f
      union all
      select f.workflow_id, f.user_id, 'workflow_failed', f.name, null, ${failure.workflowFrom}::text, 'failed', ${detail}
        from settled f
      returning id
    )`;
}
