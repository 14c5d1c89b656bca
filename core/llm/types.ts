import type { z } from "zod";
import type { StepError, StepErrorCode } from "../schemas/workflow.ts";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface TokenUsage {
  prompt: number;
  completion: number;
  total: number;
}

/** One structured-output request: the zod schema is the single source of the JSON schema sent. */
export interface StructuredRequest<T> {
  /** json_schema.name: `classify`, `extract` or `route`. */
  schemaName: string;
  schema: z.ZodType<T>;
  messages: ChatMessage[];
}

/** What one model call produced, whatever its fate: every field here is persisted as an attempt. */
export interface CallRecord {
  model: string;
  latencyMs: number;
  tokens: TokenUsage | null;
  /** The raw text the model answered (or the HTTP error body), kept for the attempt log. */
  rawResponse: string | null;
}

export type StructuredResult<T> =
  | { outcome: "ok"; value: T; repaired: "markdown_fence" | null; call: CallRecord }
  /** The model answered, but the answer is unusable: re-ask with `validationErrors`. */
  | { outcome: "invalid"; error: StepError; validationErrors: string[]; call: CallRecord }
  /** The call itself failed: retry through the queue when `error.retryable`, else fail at once. */
  | { outcome: "error"; error: StepError; retryAfterMs: number | null; call: CallRecord };

export interface LlmClient {
  /** The model name reported for attempts before any answer arrives. */
  readonly model: string;
  /** Never throws for a model or network failure: every outcome is a value. */
  structured<T>(request: StructuredRequest<T>): Promise<StructuredResult<T>>;
}

export const RETRYABLE_CODES: ReadonlySet<StepErrorCode> = new Set([
  "LLM_TIMEOUT",
  "LLM_RATE_LIMITED",
  "LLM_UNAVAILABLE",
]);

/** A step error with its retryable flag taken from the code, so the two can never disagree. */
export function stepError(
  code: StepErrorCode,
  message: string,
  details?: Record<string, unknown>,
): StepError {
  const error: StepError = { code, message, retryable: RETRYABLE_CODES.has(code) };
  if (details) error.details = details;
  return error;
}
