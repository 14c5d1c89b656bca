import { setTimeout as sleep } from "node:timers/promises";
import { callCost } from "../core/llm/cost.ts";
import type { ProviderFlow } from "../core/llm/flow/port.ts";
import type { LlmClient, StructuredResult } from "../core/llm/types.ts";
import { STEP_NAMES, type StepName } from "../core/schemas/workflow.ts";
import { nextMove, type StepConversation, startConversation } from "../core/steps/conversation.ts";
import { reportToFlow } from "../core/workflow/admission.ts";
import { retryDelayMs } from "../core/workflow/backoff.ts";
import type { StepRunnerSettings } from "../core/workflow/run-step.ts";
import type { EvalCase } from "./dataset.ts";
import type { CaseOutcome, CaseUsage } from "./metrics.ts";

export interface CaseRunnerDeps {
  llm: LlmClient;
  /** The provider flow control (LLM_REQUESTS_PER_MINUTE, LLM_TOKENS_PER_MINUTE, Retry-After pauses). */
  flow: ProviderFlow;
  settings: Pick<StepRunnerSettings, "maxAttempts" | "maxReasks" | "backoff" | "pricing">;
}

/** The step outputs the worker would persist, by step, for the HTML report's answers. */
export type StepOutputs = Partial<Record<StepName, unknown>>;

const silent = { info() {}, warn() {}, error() {} };

/**
 * Runs one labelled lead through classify, extract and route as the worker would (the same conversations, re-asks,
 * rules and retry policy), with the queue's delays as sleeps and no database: every call is counted, none persisted.
 */
export async function runCase(deps: CaseRunnerDeps, testCase: EvalCase): Promise<CaseOutcome> {
  const usage: CaseUsage = {
    calls: 0,
    invalid: 0,
    reasks: 0,
    prompt: 0,
    completion: 0,
    costUsd: 0,
    latencies: [],
  };
  const lead = { ...testCase.lead, contact: testCase.lead.contact ?? null };
  const outputs: StepOutputs = {};
  for (const step of STEP_NAMES) {
    let conversation: StepConversation;
    try {
      conversation = startConversation(step, { lead, previous: outputs });
    } catch {
      return failed(testCase, outputs, usage, step, "INTERNAL", "The step's input could not be built.");
    }
    const settled = await converse(deps, conversation, usage);
    if ("error" in settled)
      return failed(testCase, outputs, usage, step, settled.error.code, settled.error.message);
    outputs[step] = settled.output;
  }
  const classify = outputs.classify as { category: string };
  const extract = outputs.extract as { extracted_fields: Record<string, unknown> };
  const route = outputs.route as { routing_decision: { queue: string; priority: string } };
  return {
    id: testCase.id,
    expected: testCase.expected,
    predicted: {
      category: classify.category,
      queue: route.routing_decision.queue,
      priority: route.routing_decision.priority,
    },
    fields: extract.extracted_fields,
    error: null,
    usage,
    outputs,
  };
}

type Settled = { output: unknown } | { error: { code: string; message: string } };

async function converse(
  deps: CaseRunnerDeps,
  conversation: StepConversation,
  usage: CaseUsage,
): Promise<Settled> {
  const { settings } = deps;
  let reasks = 0;
  let deliveries = 1;
  for (;;) {
    const slot = await admitted(deps.flow);
    const result = await conversation.ask(deps.llm);
    await reportToFlow(deps, slot, result, silent, {});
    count(usage, result, settings.pricing);
    const move = nextMove(result, {
      reasks,
      maxReasks: settings.maxReasks,
      deliveries,
      maxAttempts: settings.maxAttempts,
    });
    if (result.outcome === "ok") {
      try {
        return { output: conversation.output(result.value, result.call.model) };
      } catch {
        return {
          error: { code: "INTERNAL", message: "The step's rules produced an output that failed validation." },
        };
      }
    }
    if (move === "fail") return { error: result.error };
    if (move === "reask" && result.outcome === "invalid") {
      conversation.reask(result);
      usage.reasks++;
      reasks++;
      continue;
    }
    // A transient failure: the worker's queue would deliver the step again after this backoff.
    const retryAfterMs = result.outcome === "error" ? result.retryAfterMs : null;
    await sleep(retryDelayMs(deliveries, retryAfterMs, settings.backoff));
    deliveries++;
  }
}

/** Waits, as a deferred step would, until the provider flow control lets a call go. */
async function admitted(flow: ProviderFlow): Promise<string> {
  for (;;) {
    const admission = await flow.admit();
    if (admission.ok) return admission.slot;
    await sleep(Math.max(0, admission.untilMs - Date.now()));
  }
}

function count(
  usage: CaseUsage,
  result: StructuredResult<unknown>,
  pricing: CaseRunnerDeps["settings"]["pricing"],
) {
  usage.calls++;
  if (result.outcome === "invalid") usage.invalid++;
  usage.prompt += result.call.tokens?.prompt ?? 0;
  usage.completion += result.call.tokens?.completion ?? 0;
  usage.costUsd += callCost(result.call.tokens, pricing);
  usage.latencies.push(result.call.latencyMs);
}

function failed(
  testCase: EvalCase,
  outputs: StepOutputs,
  usage: CaseUsage,
  step: StepName,
  code: string,
  message: string,
): CaseOutcome {
  return {
    id: testCase.id,
    expected: testCase.expected,
    predicted: null,
    fields: null,
    error: { step, code, message },
    usage,
    outputs,
  };
}
