import type { Database } from "../db/client.ts";
import { isDatabaseUnavailable, sqlState } from "../db/failures.ts";
import { callCost, type Pricing } from "../llm/cost.ts";
import type { ProviderFlow } from "../llm/flow/port.ts";
import type { LlmClient } from "../llm/types.ts";
import type { StepObserver } from "../metrics.ts";
import type { StepJob, StepQueue } from "../queue/port.ts";
import { nextStep, type StepError } from "../schemas/workflow.ts";
import { nextMove, type StepConversation, startConversation } from "../steps/conversation.ts";
import { admission, now, reportToFlow } from "./admission.ts";
import { type BackoffPolicy, retryDelayMs } from "./backoff.ts";
import { type Claim, claimStep } from "./claim.ts";
import {
  type AttemptRecord,
  completeStep,
  deferStep,
  failStep,
  recordReask,
  type Settled,
  scheduleRetry,
} from "./settle.ts";

export interface StepRunnerSettings {
  /** Queue deliveries a step may spend on transient failures (STEP_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Re-asks after an invalid answer within one delivery (STEP_MAX_REASKS). */
  maxReasks: number;
  /** How long a claim holds before another delivery may take the step over (STALE_STEP_MS). */
  leaseMs: number;
  /** Claims lost to a dead or hung worker before the step fails instead of running again (STEP_MAX_TAKEOVERS). */
  maxTakeovers: number;
  /** Tokens a user's steps may spend per UTC day before they wait for the next (USER_DAILY_TOKEN_BUDGET; 0: none). */
  userDailyTokenBudget: number;
  /** USD per million prompt and completion tokens, for each attempt's cost_usd. */
  pricing: Pricing;
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
  /** Provider flow control shared by every worker; without it, calls go out as fast as steps run. */
  flow?: ProviderFlow;
  random?: () => number;
  now?: () => number;
}

export type StepRunOutcome =
  | "completed"
  | "failed"
  | "retry_scheduled"
  | "deferred"
  | "not_claimed"
  | "lease_lost";

/** Another delivery took the step over (our lease ran out): stop without writing anything more. */
class LeaseLost extends Error {}

const silent: StepRunnerLogger = { info() {}, warn() {}, error() {} };

/**
 * Runs one delivery of one step: claim it in PostgreSQL, ask the model (re-asking on invalid answers), persist
 * every attempt, then complete, fail, or schedule a transient retry, and hand on to the next step. Every write
 * after the claim is conditional on still holding the claim, so a duplicate or late delivery changes nothing.
 */
export async function runStep(deps: StepRunnerDeps, job: StepJob): Promise<StepRunOutcome> {
  const log = deps.log ?? silent;
  const ctx = { workflow_id: job.workflowId, step: job.step, run: job.run, try: job.try };
  const claim = await claimStep(deps.db, job, deps.settings.leaseMs, {
    countUserTokens: deps.settings.userDailyTokenBudget > 0,
  });
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
  const inFlight: InFlight = { attempt: null };
  try {
    const { outcome, code } = await executeClaimedStep(deps, job, claim, log, inFlight);
    return finish(outcome, code);
  } catch (err) {
    if (err instanceof LeaseLost) {
      log.warn(ctx, "step lease lost to another delivery; stopping");
      return finish("lease_lost", null);
    }
    const { outcome, code } = await failAfterUnexpectedError(deps, claim, err, inFlight.attempt, log, ctx);
    return finish(outcome, code);
  }
}

/** The model call whose outcome was being written when something threw: the failure records it. */
interface InFlight {
  attempt: AttemptRecord | null;
}

/**
 * No error escapes a claimed step: anything but a lost lease (a refused write, a bug) fails the step with INTERNAL
 * and its reason, with the model call in hand recorded if that still can be. Only when PostgreSQL itself is away is
 * nothing written: the lease then runs out and the reconciler hands the step on, a takeover that is counted, so
 * even that ends after STEP_MAX_TAKEOVERS.
 */
async function failAfterUnexpectedError(
  deps: StepRunnerDeps,
  claim: Claim,
  err: unknown,
  attempt: AttemptRecord | null,
  log: StepRunnerLogger,
  ctx: Record<string, unknown>,
): Promise<Finished> {
  if (isDatabaseUnavailable(err)) {
    log.error(
      { ...ctx, err },
      "database unavailable during a claimed step; the reconciler will take it over",
    );
    throw err;
  }
  log.error({ ...ctx, err }, "step failed unexpectedly after its claim");
  const code = sqlState(err);
  const error = internalError(
    code
      ? `The step's result could not be saved: PostgreSQL refused the write (SQLSTATE ${code}).`
      : "The step failed unexpectedly; the details are in the worker's log.",
  );
  const records: (AttemptRecord | null)[] = attempt
    ? [{ ...attempt, outcome: "failed", error }, null]
    : [null];
  for (const record of records) {
    try {
      const settled = await failStep(deps.db, claim, error, record);
      return settled ? { outcome: "failed", code: "INTERNAL" } : { outcome: "lease_lost", code: null };
    } catch (writeErr) {
      if (isDatabaseUnavailable(writeErr)) throw writeErr;
      log.error({ ...ctx, err: writeErr }, "the step's failure could not be written with its attempt");
    }
  }
  throw err;
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
  inFlight: InFlight,
): Promise<Finished> {
  const { settings } = deps;
  const ctx = { workflow_id: job.workflowId, step: job.step, run: job.run, try: job.try };

  if (claim.takeovers >= settings.maxTakeovers) {
    // A lead that crashes or hangs its worker every time would otherwise be handed out for ever.
    log.error({ ...ctx, takeovers: claim.takeovers }, "step lost too many times; failing it");
    const error: StepError = {
      code: "INTERNAL",
      message:
        `The step was lost ${claim.takeovers} times: the worker running it stopped or hung each time, ` +
        "so it is not run again.",
      retryable: true,
    };
    ensureHeld(await failStep(deps.db, claim, error, null));
    return { outcome: "failed", code: error.code };
  }

  let conversation: StepConversation;
  try {
    conversation = startConversation(job.step, claim.input);
  } catch (err) {
    log.error({ ...ctx, err }, "step input could not be built");
    ensureHeld(
      await failStep(
        deps.db,
        claim,
        internalError("The step's input could not be built from the workflow."),
        null,
      ),
    );
    return { outcome: "failed", code: "INTERNAL" };
  }

  let spentTokens = 0;
  for (let reask = job.reasked ?? 0; ; reask++) {
    const gate = await admission(deps, claim, spentTokens, log, ctx);
    if ("waiting" in gate) {
      const { waits } = ensureHeld(await deferStep(deps.db, claim, gate.waiting));
      const delayMs = Math.max(0, gate.waiting.untilMs - now(deps));
      await handOn(deps, { ...job, wait: waits, ...(reask ? { reasked: reask } : {}) }, log, delayMs);
      log.info({ ...ctx, reason: gate.waiting.reason, delay_ms: delayMs }, "step waits for its budget");
      return { outcome: "deferred", code: null };
    }
    const result = await conversation.ask(deps.llm);
    deps.observer?.modelCall(job.step, result);
    spentTokens += result.call.tokens?.total ?? 0;
    await reportToFlow(deps, gate.slot, result, log, ctx);
    const base = {
      call: result.call,
      promptVersion: conversation.promptVersion,
      costUsd: callCost(result.call.tokens, settings.pricing),
    };
    const deliveries = claim.transientFailures + 1;
    const move = nextMove(result, {
      reasks: reask,
      maxReasks: settings.maxReasks,
      deliveries,
      maxAttempts: settings.maxAttempts,
    });
    if (result.outcome === "ok") {
      let output: unknown;
      try {
        output = conversation.output(result.value, result.call.model);
      } catch (err) {
        log.error({ ...ctx, err }, "step rules produced an invalid output");
        const error = internalError("The step's rules produced an output that failed validation.");
        ensureHeld(
          await failStep(deps.db, claim, error, {
            ...base,
            outcome: "failed",
            error,
            validationErrors: null,
            repaired: null,
          }),
        );
        return { outcome: "failed", code: error.code };
      }
      const attempt: AttemptRecord = {
        ...base,
        outcome: "succeeded",
        error: null,
        validationErrors: null,
        repaired: result.repaired,
      };
      inFlight.attempt = attempt;
      const next = nextStep(job.step);
      ensureHeld(await completeStep(deps.db, claim, output, attempt, next === null));
      if (next) await handOn(deps, { workflowId: job.workflowId, step: next, run: job.run, try: 1 }, log);
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
      inFlight.attempt = attempt;
      if (move === "fail") {
        ensureHeld(await failStep(deps.db, claim, { ...result.error, retryable: false }, attempt));
        return { outcome: "failed", code: result.error.code };
      }
      ensureHeld(await recordReask(deps.db, claim, { ...attempt, error: result.error }, settings.leaseMs));
      inFlight.attempt = null;
      conversation.reask(result);
      continue;
    }

    const attempt: AttemptRecord = {
      ...base,
      outcome: "error",
      error: result.error,
      validationErrors: null,
      repaired: null,
    };
    inFlight.attempt = attempt;
    if (move === "fail") {
      ensureHeld(await failStep(deps.db, claim, result.error, attempt));
      return { outcome: "failed", code: result.error.code };
    }
    const delayMs = retryDelayMs(deliveries, result.retryAfterMs, settings.backoff, deps.random);
    const { transientFailures } = ensureHeld(
      await scheduleRetry(deps.db, claim, result.error, delayMs, attempt),
    );
    await handOn(deps, { ...job, try: transientFailures + 1 }, log, delayMs);
    log.warn(
      { ...ctx, code: result.error.code, delay_ms: delayMs },
      "transient model failure; retry scheduled",
    );
    return { outcome: "retry_scheduled", code: result.error.code };
  }
}

function internalError(message: string): StepError {
  return { code: "INTERNAL", message, retryable: false };
}

/** Enqueues after commit; when Redis is away the committed state lets the reconciler enqueue it later. */
async function handOn(deps: StepRunnerDeps, job: StepJob, log: StepRunnerLogger, delayMs?: number) {
  try {
    await deps.queue.enqueue(job, { delayMs });
  } catch (err) {
    log.warn({ workflow_id: job.workflowId, step: job.step, err }, "enqueue failed; left to the reconciler");
  }
}

/** A settle statement that matched no row: another delivery holds the step now. */
function ensureHeld(settled: Settled | null): Settled {
  if (!settled) throw new LeaseLost();
  return settled;
}
