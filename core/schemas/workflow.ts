import { z } from "zod";

export const WORKFLOW_STATUSES = ["pending", "processing", "completed", "failed"] as const;
export const workflowStatus = z.enum(WORKFLOW_STATUSES);
export type WorkflowStatus = z.infer<typeof workflowStatus>;

export const STEP_STATUSES = ["not_started", "processing", "completed", "failed", "skipped"] as const;
export const stepStatus = z.enum(STEP_STATUSES);
export type StepStatus = z.infer<typeof stepStatus>;

/** The fixed order of the workflow. */
export const STEP_NAMES = ["classify", "extract", "route"] as const;
export const stepName = z.enum(STEP_NAMES);
export type StepName = z.infer<typeof stepName>;

export function nextStep(step: StepName): StepName | null {
  const i = STEP_NAMES.indexOf(step);
  return STEP_NAMES[i + 1] ?? null;
}

/** Why a workflow's current step is held back: the provider's flow control, or the user's daily token budget. */
export const WAITING_REASONS = ["provider_rate_limit", "user_budget"] as const;
export type WaitingReason = (typeof WAITING_REASONS)[number];

export const STEP_ERROR_CODES = [
  "LLM_TIMEOUT",
  "LLM_RATE_LIMITED",
  "LLM_UNAVAILABLE",
  "LLM_AUTH",
  "LLM_BAD_REQUEST",
  "LLM_REFUSAL",
  "LLM_TRUNCATED",
  "AI_INVALID_JSON",
  "AI_SCHEMA_MISMATCH",
  "INTERNAL",
] as const;
export const stepErrorCode = z.enum(STEP_ERROR_CODES);
export type StepErrorCode = z.infer<typeof stepErrorCode>;

export const stepError = z.object({
  code: stepErrorCode,
  message: z.string(),
  retryable: z.boolean(),
  details: z.unknown().optional(),
});
export type StepError = z.infer<typeof stepError>;
