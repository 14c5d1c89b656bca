import type { z } from "zod";
import type { ChatMessage } from "../llm/types.ts";
import type { LeadInput } from "../schemas/lead.ts";
import type { StepName } from "../schemas/workflow.ts";

/** The lead as every step sees it: the raw submission, untrusted. */
export type StepLead = Pick<LeadInput, "name" | "contact_channel" | "message"> & { contact: string | null };

export interface ModelInfo {
  model: string;
  prompt_version: string;
}

/**
 * A named unit of the workflow with one input and one output. The runner owns calls, re-asks and persistence;
 * a step owns its prompt, the schema the model must answer, and the rules that guard the answer.
 */
export interface StepDefinition<Input, Answer, Output> {
  name: StepName;
  promptVersion: string;
  /** Builds the step's input from the lead and the outputs of the steps before it (validated). */
  input: z.ZodType<Input>;
  /** The schema the model must answer; it may depend on the input (extract's fields follow the category). */
  answerSchema(input: Input): z.ZodType<Answer>;
  messages(input: Input): ChatMessage[];
  /** Deterministic guards over a valid answer; never re-asks. Returns the output that is persisted. */
  finalize(answer: Answer, input: Input, info: ModelInfo): Output;
  /** The persisted output's schema, used to re-validate stored outputs. */
  output: z.ZodType<Output>;
}
