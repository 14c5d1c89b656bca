import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { stepAttempts, workflowSteps, workflows } from "../db/schema.ts";
import type { CallRecord, ChatMessage, LlmClient } from "../llm/types.ts";
import type { StepObserver } from "../metrics.ts";
import type { StepJob, StepQueue } from "../queue/port.ts";
import { nextStep, type StepError } from "../schemas/workflow.ts";
import { stepDefinition } from "../steps/index.ts";
import type { StepLead } from "../steps/types.ts";
import { type BackoffPolicy, retryDelayMs } from "./backoff.ts";
import { recordEvents, type WorkflowEvent } from "./events.ts";
import { failWorkflowAfterStep } from "./fail-workflow.ts";
import { workflowSummaryColumns } from "./summary.ts";

export interface StepRunnerSettings {
  /** Queue deliveries a step may spend on transient failures (STEP_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Re-asks after an invalid answer within one delivery (STEP_MAX_REASKS). */
  maxReasks: number;
  /** How long a claim holds before another delivery may take the step over (STALE_STEP_MS). */
  leaseMs: number;
  backoff: BackoffPolicy;
}

export interface StepRunnerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StepRunnerDeps {
  db: Database;
  queue: StepQueue;
  llm: LlmClient;
  settings: StepRunnerSettings;
  log?: StepRunnerLogger;
  observer?: StepObserver;
  random?: () => number;
}

export type StepRunOutcome = "completed" | "failed" | "retry_scheduled" | "not_claimed" | "lease_lost";

/** Another delivery took the step over (our lease ran out): stop without writing anything more. */
class LeaseLost extends Error {}

interface Claim {
  stepId: string;
  userId: string;
  leaseToken: string;
  previousStatus: string;
  transientFailures: number;
  /** The lead, untrusted, and the outputs of the steps already completed, keyed by step name. */
  input: { lead: StepLead; previous: Record<string, unknown> };
}

const silent: StepRunnerLogger = { info() {}, warn() {}, error() {} };

/**
 * Runs one delivery of one step: claim it in PostgreSQL, ask the model (re-asking on invalid answers), persist
 * every attempt, then complete, fail, or schedule a transient retry, and hand on to the next step. Every write
 * after the claim is conditional on still holding the claim, so a duplicate or late delivery changes nothing.
 */
export async function runStep(deps: StepRunnerDeps, job: StepJob): Promise<StepRunOutcome> {
  const log = deps.log ?? silent;
  const ctx = { workflow_id: job.workflowId, step: job.step, run: job.run, try: job.try };
  const claim = await claimStep(deps, job);
  if (!claim) {
    log.info(ctx, "step delivery not claimed (duplicate, superseded or not due)");
    return "not_claimed";
  }
  const started = performance.now();
  const finish = (outcome: StepRunOutcome, code: string | null) => {
    deps.observer?.stepFinished(job.step, outcome, code, performance.now() - started);
    const fields = { ...ctx, user_id: claim.userId, outcome, code };
    if (outcome === "failed") log.warn(fields, "step failed");
    else log.info(fields, `step ${outcome.replace("_", " ")}`);
    return outcome;
  };
  try {
    const { outcome, code } = await executeClaimedStep(deps, job, claim, log);
    return finish(outcome, code);
  } catch (err) {
    if (err instanceof LeaseLost) {
      log.warn(ctx, "step lease lost to another delivery; stopping");
      return finish("lease_lost", null);
    }
    throw err;
  }
}

interface Finished {
  outcome: StepRunOutcome;
  code: string | null;
}

async function executeClaimedStep(
  deps: StepRunnerDeps,
  job: StepJob,
  claim: Claim,
  log: StepRunnerLogger,
): Promise<Finished> {
  const { settings } = deps;
  const definition = stepDefinition(job.step);
  const ctx = { workflow_id: job.workflowId, step: job.step, run: job.run, try: job.try };

  let input: unknown;
  try {
    input = definition.input.parse(claim.input);
  } catch (err) {
    log.error({ ...ctx, err }, "step input could not be built");
    await failStep(deps, job, claim, internalError("The step's input could not be built from the workflow."));
    return { outcome: "failed", code: "INTERNAL" };
  }

  const schema = definition.answerSchema(input as never);
  const messages: ChatMessage[] = definition.messages(input as never);
  for (let reask = 0; ; reask++) {
    const result = await deps.llm.structured({ schemaName: definition.name, schema, messages });
    deps.observer?.modelCall(job.step, result);
    const base = { call: result.call, promptVersion: definition.promptVersion };
    if (result.outcome === "ok") {
      let output: unknown;
      try {
        output = definition.output.parse(
          definition.finalize(result.value as never, input as never, {
            model: result.call.model,
            prompt_version: definition.promptVersion,
          }),
        );
      } catch (err) {
        log.error({ ...ctx, err }, "step rules produced an invalid output");
        const error = internalError("The step's rules produced an output that failed validation.");
        await failStep(deps, job, claim, error, {
          ...base,
          outcome: "failed",
          error,
          validationErrors: null,
          repaired: null,
        });
        return { outcome: "failed", code: error.code };
      }
      const attempt: AttemptRecord = {
        ...base,
        outcome: "succeeded",
        error: null,
        validationErrors: null,
        repaired: result.repaired,
      };
      await completeStep(deps, job, claim, output, attempt, log);
      return { outcome: "completed", code: null };
    }

    if (result.outcome === "invalid") {
      const attempt: AttemptRecord = {
        ...base,
        outcome: "invalid",
        error: result.error,
        validationErrors: result.validationErrors,
        repaired: null,
      };
      if (reask >= settings.maxReasks) {
        await failStep(deps, job, claim, { ...result.error, retryable: false }, attempt);
        return { outcome: "failed", code: result.error.code };
      }
      await deps.db.transaction(async (tx) => {
        const number = await recordAttempt(tx, deps, claim, attempt);
        await recordEvents(tx, [
          {
            workflowId: job.workflowId,
            userId: claim.userId,
            type: "step_retried",
            step: job.step,
            attempt: number,
            detail: { kind: "reask", code: result.error.code },
          },
        ]);
      });
      messages.push(
        { role: "assistant", content: result.call.rawResponse ?? "" },
        { role: "user", content: reaskMessage(result.error, result.validationErrors) },
      );
      continue;
    }

    const attempt: AttemptRecord = {
      ...base,
      outcome: "error",
      error: result.error,
      validationErrors: null,
      repaired: null,
    };
    const deliveries = claim.transientFailures + 1;
    if (!result.error.retryable || deliveries >= settings.maxAttempts) {
      await failStep(deps, job, claim, result.error, attempt);
      return { outcome: "failed", code: result.error.code };
    }
    const delayMs = retryDelayMs(deliveries, result.retryAfterMs, settings.backoff, deps.random);
    await scheduleRetry(deps, job, claim, result.error, delayMs, attempt);
    log.warn(
      { ...ctx, code: result.error.code, delay_ms: delayMs },
      "transient model failure; retry scheduled",
    );
    return { outcome: "retry_scheduled", code: result.error.code };
  }
}

function reaskMessage(error: StepError, validationErrors: string[]): string {
  const problems = validationErrors.length
    ? validationErrors.map((e) => `- ${e}`).join("\n")
    : `- ${error.message}`;
  return [
    `Your previous answer was rejected (${error.code}):`,
    problems,
    "Answer again with only a JSON object that matches the schema exactly: every required key, no other keys.",
  ].join("\n");
}

function internalError(message: string): StepError {
  return { code: "INTERNAL", message, retryable: false };
}

const leaseInterval = (ms: number) => sql`(${ms}::int * interval '1 millisecond')`;

/**
 * Claims the step and reads what it needs in one statement (one round trip, no explicit transaction): the
 * compare-and-set on status, run and try, the workflow's move to `processing`, the `step_started` event, and the
 * lead with the earlier steps' outputs. Data-modifying CTEs run once whether or not the final select reads them.
 */
async function claimStep(deps: StepRunnerDeps, job: StepJob): Promise<Claim | null> {
  const leaseToken = randomUUID();
  const result = await deps.db.execute<{
    id: string;
    user_id: string;
    previous_status: string;
    transient_failures: number;
    name: string;
    contact_channel: StepLead["contact_channel"];
    contact: string | null;
    message: string;
    previous: Record<string, unknown>;
  }>(sql`
    with claimable as (
      select s.id, s.status as previous_status, w.lead_id
      from workflow_steps s join workflows w on w.id = s.workflow_id
      where s.workflow_id = ${job.workflowId} and s.name = ${job.step}
        and w.run = ${job.run} and w.status in ('pending', 'processing')
        and s.transient_failures = ${job.try - 1}
        and (s.status = 'not_started'
             or (s.status = 'processing' and (s.lease_until is null or s.lease_until < now())))
      for update of s skip locked
    ),
    claimed as (
      update workflow_steps s
         set status = 'processing', lease_token = ${leaseToken},
             lease_until = now() + ${leaseInterval(deps.settings.leaseMs)},
             started_at = coalesce(s.started_at, now()), retry_at = null, updated_at = now()
        from claimable c
       where s.id = c.id
      returning s.id, s.user_id, s.transient_failures, c.previous_status, c.lead_id
    ),
    started as (
      update workflows w set status = 'processing', updated_at = now()
        from claimed c
       where w.id = ${job.workflowId} and w.status = 'pending'
      returning w.id
    ),
    event as (
      insert into workflow_events (workflow_id, user_id, type, step, from_status, to_status)
      select ${job.workflowId}, c.user_id, 'step_started', ${job.step}, 'not_started', 'processing'
        from claimed c where c.previous_status = 'not_started'
      returning id
    )
    select c.id, c.user_id, c.previous_status, c.transient_failures,
           l.name, l.contact_channel, l.contact, l.message,
           (select coalesce(json_object_agg(p.name, p.output), '{}'::json)
              from workflow_steps p
             where p.workflow_id = ${job.workflowId} and p.status = 'completed') as previous
      from claimed c join leads l on l.id = c.lead_id`);
  const row = result.rows[0];
  if (!row) return null;
  return {
    stepId: row.id,
    userId: row.user_id,
    leaseToken,
    previousStatus: row.previous_status,
    transientFailures: row.transient_failures,
    input: {
      lead: {
        name: row.name,
        contact_channel: row.contact_channel,
        contact: row.contact,
        message: row.message,
      },
      previous: row.previous,
    },
  };
}

interface AttemptRecord {
  call: CallRecord;
  promptVersion: string;
  outcome: "succeeded" | "invalid" | "error" | "failed";
  error: StepError | null;
  validationErrors: string[] | null;
  repaired: string | null;
}

/**
 * Counts the model call on the step and stores it, renewing the claim; returns the attempt's number. It runs in
 * the same transaction as what the attempt leads to (completion, failure, retry), so a worker dying in between
 * never leaves a "succeeded" attempt whose output was not kept.
 */
async function recordAttempt(tx: Transaction, deps: StepRunnerDeps, claim: Claim, attempt: AttemptRecord) {
  const [row] = await tx
    .update(workflowSteps)
    .set({
      attempts: sql`${workflowSteps.attempts} + 1`,
      leaseUntil: sql`now() + ${leaseInterval(deps.settings.leaseMs)}`,
      updatedAt: sql`now()`,
    })
    .where(heldBy(claim))
    .returning({
      attempts: workflowSteps.attempts,
      workflowId: workflowSteps.workflowId,
      name: workflowSteps.name,
    });
  if (!row) throw new LeaseLost();
  await tx.insert(stepAttempts).values({
    workflowId: row.workflowId,
    stepId: claim.stepId,
    userId: claim.userId,
    step: row.name,
    number: row.attempts,
    outcome: attempt.outcome,
    error: attempt.error,
    latencyMs: Math.round(attempt.call.latencyMs),
    model: attempt.call.model,
    promptVersion: attempt.promptVersion,
    tokens: attempt.call.tokens,
    rawResponse: attempt.call.rawResponse,
    validationErrors: attempt.validationErrors,
    repaired: attempt.repaired,
  });
  return row.attempts;
}

const heldBy = (claim: Claim) =>
  and(
    eq(workflowSteps.id, claim.stepId),
    eq(workflowSteps.leaseToken, claim.leaseToken),
    eq(workflowSteps.status, "processing"),
  );

const releaseLease = { leaseToken: null, leaseUntil: null, updatedAt: sql`now()` } as const;

async function completeStep(
  deps: StepRunnerDeps,
  job: StepJob,
  claim: Claim,
  output: unknown,
  attempt: AttemptRecord,
  log: StepRunnerLogger,
): Promise<void> {
  const next = nextStep(job.step);
  await deps.db.transaction(async (tx) => {
    await recordAttempt(tx, deps, claim, attempt);
    const [row] = await tx
      .update(workflowSteps)
      .set({
        status: "completed",
        output,
        error: null,
        finishedAt: sql`now()`,
        retryAt: null,
        ...releaseLease,
      })
      .where(heldBy(claim))
      .returning({ attempts: workflowSteps.attempts });
    if (!row) throw new LeaseLost();
    const events: WorkflowEvent[] = [
      {
        workflowId: job.workflowId,
        userId: claim.userId,
        type: "step_completed",
        step: job.step,
        attempt: row.attempts,
        from: "processing",
        to: "completed",
      },
    ];
    await tx
      .update(workflows)
      .set({
        ...workflowSummaryColumns(job.step, output),
        ...(next ? {} : { status: "completed", error: null, finishedAt: sql`now()` }),
        updatedAt: sql`now()`,
      })
      .where(eq(workflows.id, job.workflowId));
    if (!next) {
      events.push({
        workflowId: job.workflowId,
        userId: claim.userId,
        type: "workflow_completed",
        from: "processing",
        to: "completed",
      });
    }
    await recordEvents(tx, events);
  });
  if (next) await handOn(deps, { workflowId: job.workflowId, step: next, run: job.run, try: 1 }, log);
}

/** Enqueues after commit; when Redis is away the committed state lets the reconciler enqueue it later. */
async function handOn(deps: StepRunnerDeps, job: StepJob, log: StepRunnerLogger, delayMs?: number) {
  try {
    await deps.queue.enqueue(job, { delayMs });
  } catch (err) {
    log.warn({ workflow_id: job.workflowId, step: job.step, err }, "enqueue failed; left to the reconciler");
  }
}

async function failStep(
  deps: StepRunnerDeps,
  job: StepJob,
  claim: Claim,
  error: StepError,
  attempt?: AttemptRecord,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    if (attempt) await recordAttempt(tx, deps, claim, attempt);
    const [row] = await tx
      .update(workflowSteps)
      .set({ status: "failed", error, finishedAt: sql`now()`, retryAt: null, ...releaseLease })
      .where(heldBy(claim))
      .returning({ attempts: workflowSteps.attempts, position: workflowSteps.position });
    if (!row) throw new LeaseLost();
    await failWorkflowAfterStep(tx, {
      workflowId: job.workflowId,
      userId: claim.userId,
      step: job.step,
      position: row.position,
      attempts: row.attempts,
      stepFrom: "processing",
      workflowFrom: "processing",
      error,
    });
  });
}

async function scheduleRetry(
  deps: StepRunnerDeps,
  job: StepJob,
  claim: Claim,
  error: StepError,
  delayMs: number,
  attemptRecord: AttemptRecord,
): Promise<void> {
  const transientFailures = await deps.db.transaction(async (tx) => {
    const attempt = await recordAttempt(tx, deps, claim, attemptRecord);
    const [row] = await tx
      .update(workflowSteps)
      .set({
        transientFailures: sql`${workflowSteps.transientFailures} + 1`,
        error,
        retryAt: sql`now() + ${leaseInterval(delayMs)}`,
        ...releaseLease,
      })
      .where(heldBy(claim))
      .returning({ transientFailures: workflowSteps.transientFailures });
    if (!row) throw new LeaseLost();
    await recordEvents(tx, [
      {
        workflowId: job.workflowId,
        userId: claim.userId,
        type: "step_retried",
        step: job.step,
        attempt,
        detail: { kind: "backoff", code: error.code, delay_ms: delayMs },
      },
    ]);
    return row.transientFailures;
  });
  await handOn(deps, { ...job, try: transientFailures + 1 }, deps.log ?? silent, delayMs);
}
