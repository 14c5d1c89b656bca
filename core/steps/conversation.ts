import { cutToBytes } from "../llm/stored-answer.ts";
import type { ChatMessage, LlmClient, StructuredResult } from "../llm/types.ts";
import type { StepError, StepName } from "../schemas/workflow.ts";
import { stepDefinition } from "./index.ts";
import { withProvenance } from "./types.ts";

/** A re-ask quotes the rejected answer back to the model, but no more than this of it. */
export const REASK_QUOTE_BYTES = 4096;

export type InvalidAnswer = Extract<StructuredResult<unknown>, { outcome: "invalid" }>;

/**
 * One step's exchange with the model, with no database or queue: the step's prompt and answer schema, re-asks
 * that quote the rejected answer with what was wrong, and the step's rules and provenance over a valid answer.
 * The worker's runner persists around it; the evaluation CLI drives the same object, so both ask the same thing.
 */
export interface StepConversation {
  readonly step: StepName;
  readonly promptVersion: string;
  /** One model call with the conversation so far (the prompt, then any re-asks). */
  ask(llm: LlmClient): Promise<StructuredResult<unknown>>;
  /** After an invalid answer: the next ask quotes it back with its validation errors. */
  reask(rejected: InvalidAnswer): void;
  /** What is persisted of a valid answer: the step's rules applied, provenance added; throws if that is invalid. */
  output(answer: unknown, model: string): unknown;
}

/** Starts a step's conversation; throws (a ZodError) when the input cannot be built from the lead and outputs. */
export function startConversation(step: StepName, rawInput: unknown): StepConversation {
  const definition = stepDefinition(step);
  const input = definition.input.parse(rawInput);
  const schema = definition.answerSchema(input);
  const messages: ChatMessage[] = definition.messages(input);
  return {
    step,
    promptVersion: definition.promptVersion,
    ask: (llm) => llm.structured({ schemaName: definition.name, schema, messages }),
    reask(rejected) {
      messages.push(
        { role: "assistant", content: reaskQuote(rejected.call.rawResponse ?? "") },
        { role: "user", content: reaskMessage(rejected.error, rejected.validationErrors) },
      );
    },
    output: (answer, model) =>
      withProvenance(definition, answer, input, { model, prompt_version: definition.promptVersion }),
  };
}

/** What a caller does after one call: the same policy for the worker and for the evaluation. */
export type NextMove = "complete" | "reask" | "fail" | "retry";

export function nextMove(
  result: StructuredResult<unknown>,
  progress: { reasks: number; maxReasks: number; deliveries: number; maxAttempts: number },
): NextMove {
  if (result.outcome === "ok") return "complete";
  if (result.outcome === "invalid") return progress.reasks >= progress.maxReasks ? "fail" : "reask";
  return result.error.retryable && progress.deliveries < progress.maxAttempts ? "retry" : "fail";
}

/** The rejected answer as the re-ask quotes it: its first REASK_QUOTE_BYTES, the cut marked. */
function reaskQuote(raw: string): string {
  const quoted = cutToBytes(raw, REASK_QUOTE_BYTES);
  return quoted.length < raw.length ? `${quoted} […]` : quoted;
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
