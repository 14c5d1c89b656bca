import { z } from "zod";
import type { ChatMessage } from "../llm/types.ts";
import { contactChannel, type LeadInput, leadInput } from "../schemas/lead.ts";
import type { StepName } from "../schemas/workflow.ts";

/** The lead as every step sees it: the raw submission, untrusted. */
export type StepLead = Pick<LeadInput, "name" | "contact_channel" | "message"> & { contact: string | null };

/** The lead as the runner hands it to every step; extra columns of the stored row are dropped, not refused. */
export const stepLeadSchema: z.ZodType<StepLead> = z.object({
  name: leadInput.shape.name,
  contact_channel: contactChannel,
  message: leadInput.shape.message,
  contact: z
    .string()
    .nullish()
    .transform((contact) => contact ?? null),
});

/** Which model answered and under which prompt: added by the runner to every persisted output. */
export const modelInfoShape = {
  model: z.string().min(1),
  prompt_version: z.string().min(1),
};
export type ModelInfo = { [K in keyof typeof modelInfoShape]: z.infer<(typeof modelInfoShape)[K]> };

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
  /**
   * Deterministic guards over a valid answer; never re-asks. Returns what is persisted but its provenance, which
   * the runner adds (`withProvenance`), the same for every step.
   */
  finalize(answer: Answer, input: Input): Omit<Output, keyof ModelInfo>;
  /** The persisted output's schema, used to re-validate stored outputs. */
  output: z.ZodType<Output>;
}

/**
 * A step's persisted output: its finalized answer with the model and prompt version, validated against the step's
 * own output schema. The one place provenance is added, for the worker and for anything else that runs a step.
 */
export function withProvenance<Input, Answer, Output>(
  definition: StepDefinition<Input, Answer, Output>,
  answer: Answer,
  input: Input,
  info: ModelInfo,
): Output {
  return definition.output.parse({ ...definition.finalize(answer, input), ...info });
}
