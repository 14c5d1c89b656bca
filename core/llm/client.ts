import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import type { ChatCompletion } from "openai/resources/chat/completions";
import type { z } from "zod";
import type { Config } from "../config.ts";
import type { StepErrorCode } from "../schemas/workflow.ts";
import { failure } from "./failure.ts";
import { parseStructured } from "./parse.ts";
import { limitResponseBytes } from "./response-limit.ts";
import { storedErrors, storedText } from "./stored-answer.ts";
import {
  type CallRecord,
  type LlmClient,
  type StructuredRequest,
  type StructuredResult,
  stepError,
  type TokenUsage,
} from "./types.ts";

// Converting a zod schema to a JSON schema costs ~5% of a worker's CPU; the step schemas are long-lived objects.
const responseFormats = new WeakMap<z.ZodType, Map<string, ReturnType<typeof zodResponseFormat>>>();
function responseFormat(schema: z.ZodType, name: string) {
  let byName = responseFormats.get(schema);
  if (!byName) {
    byName = new Map();
    responseFormats.set(schema, byName);
  }
  let format = byName.get(name);
  if (!format) {
    format = zodResponseFormat(schema, name);
    byName.set(name, format);
  }
  return format;
}

export interface LlmClientOptions {
  /** Any OpenAI-compatible server; undefined means OpenAI itself. */
  baseURL?: string | undefined;
  apiKey: string;
  /** The model asked for; the model a response reports wins in the call record. */
  model: string;
  timeoutMs: number;
  /** The output ceiling of every call (LLM_MAX_OUTPUT_TOKENS) and the request field that carries it. */
  maxOutputTokens?: number;
  maxTokensParam?: "max_completion_tokens" | "max_tokens";
  /** What a call record keeps of an answer or error body (LLM_MAX_STORED_ANSWER_BYTES). */
  maxStoredAnswerBytes?: number;
  /**
   * Receives failures the client could not classify (they become INTERNAL). The step error carries no detail
   * by design, so this is where a caller logs the cause.
   */
  onUnexpectedError?: (error: unknown) => void;
}

/** The default ceilings, as the configuration's: a client built without them is still bounded. */
const DEFAULT_MAX_OUTPUT_TOKENS = 1024;
const DEFAULT_MAX_STORED_ANSWER_BYTES = 32_768;
/** No answer to a call capped at a few thousand tokens is this big; past it the body is not read on. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** A model name is the provider's to choose, but it lands in every attempt row. */
const MAX_MODEL_NAME_BYTES = 200;

export function createLlmClientFromConfig(config: Pick<Config, "llm">): LlmClient {
  const { baseURL, apiKey, model, timeoutMs, maxOutputTokens, maxTokensParam, maxStoredAnswerBytes } =
    config.llm;
  return createLlmClient({
    baseURL,
    apiKey,
    model,
    timeoutMs,
    maxOutputTokens,
    maxTokensParam,
    maxStoredAnswerBytes,
  });
}

export function createLlmClient(options: LlmClientOptions): LlmClient {
  // The queue owns retries (with backoff that honours Retry-After), so the SDK must not retry on its own.
  const openai = new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey,
    maxRetries: 0,
    timeout: options.timeoutMs,
    fetch: limitResponseBytes(globalThis.fetch, MAX_RESPONSE_BYTES),
  });
  const ceiling = {
    [options.maxTokensParam ?? "max_completion_tokens"]: options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
  } as { max_completion_tokens?: number; max_tokens?: number };
  const maxStoredBytes = options.maxStoredAnswerBytes ?? DEFAULT_MAX_STORED_ANSWER_BYTES;

  async function structured<T>(request: StructuredRequest<T>): Promise<StructuredResult<T>> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let completion: ChatCompletion;
    try {
      completion = await openai.chat.completions.create({
        model: options.model,
        messages: request.messages,
        // The zod schema is the one source of truth: the same object builds the strict JSON schema and validates.
        response_format: responseFormat(request.schema, request.schemaName),
        // Without a ceiling a runaway (or hostile) server decides how long an answer runs and what it costs.
        ...ceiling,
      });
    } catch (error) {
      return storable(failure(error, elapsed(), options), maxStoredBytes);
    }
    return storable(interpret(completion, request, elapsed(), options), maxStoredBytes);
  }

  return { model: options.model, structured };
}

/**
 * Whatever a result carries into the attempt log (the raw answer or error body, the validation errors, the model
 * name the server reported) made storable and bounded, in one place, for every outcome.
 */
function storable<T>(result: StructuredResult<T>, maxBytes: number): StructuredResult<T> {
  const call: CallRecord = {
    ...result.call,
    model: storedText(result.call.model, MAX_MODEL_NAME_BYTES),
    rawResponse: result.call.rawResponse === null ? null : storedText(result.call.rawResponse, maxBytes),
  };
  if (result.outcome !== "invalid") return { ...result, call };
  const validationErrors = storedErrors(result.validationErrors, maxBytes);
  return {
    ...result,
    call,
    validationErrors,
    error: { ...result.error, details: { validation_errors: validationErrors } },
  };
}

/** Turns a completed HTTP exchange into ok or invalid, or LLM_UNAVAILABLE when it is not a chat completion. */
function interpret<T>(
  completion: ChatCompletion,
  request: StructuredRequest<T>,
  latencyMs: number,
  options: LlmClientOptions,
): StructuredResult<T> {
  const choice = Array.isArray(completion?.choices) ? completion.choices[0] : undefined;
  const call = (rawResponse: string | null): CallRecord => ({
    model: typeof completion?.model === "string" && completion.model ? completion.model : options.model,
    latencyMs,
    tokens: tokenUsage(completion),
    rawResponse,
  });
  if (!choice?.message) {
    // A proxy's login or error page, or a server that is not the model: transient as far as we can tell, so it
    // is retried with backoff like a 5xx, and the message says what came instead.
    return {
      outcome: "error",
      error: stepError(
        "LLM_UNAVAILABLE",
        `The model server answered HTTP 200 with ${describeNonCompletion(completion)}, not a chat completion; ` +
          "check OPENAI_BASE_URL (an OpenAI-compatible server's URL usually ends in /v1).",
      ),
      retryAfterMs: null,
      call: call(typeof completion === "string" ? completion : JSON.stringify(completion ?? null)),
    };
  }

  const { content, refusal } = choice.message;
  if (refusal) {
    return invalid(
      "LLM_REFUSAL",
      "The model refused to answer.",
      [`(root): the model refused: ${refusal}`],
      call(refusal),
    );
  }
  if (choice.finish_reason === "content_filter") {
    return invalid(
      "LLM_REFUSAL",
      "The model's answer was blocked by its content filter.",
      ["(root): the answer was blocked by the content filter"],
      call(content ?? null),
    );
  }
  if (choice.finish_reason === "length") {
    return invalid(
      "LLM_TRUNCATED",
      "The model's answer was cut off before it was complete.",
      ["(root): the answer was cut off at the token limit; answer with the JSON object only"],
      call(content ?? null),
    );
  }

  const parsed = parseStructured(content ?? "", request.schema);
  if (parsed.outcome === "ok") {
    return { outcome: "ok", value: parsed.value, repaired: parsed.repaired, call: call(content ?? null) };
  }
  const message =
    parsed.code === "AI_INVALID_JSON"
      ? "The model's answer is not valid JSON."
      : "The model's answer does not match the expected schema.";
  return invalid(parsed.code, message, parsed.validationErrors, call(content ?? null));
}

/** What came back instead of a chat completion, in a few words for the step's error message. */
function describeNonCompletion(body: unknown): string {
  if (typeof body === "string") {
    if (/^\s*</.test(body)) return "an HTML or XML page";
    return body.trim() === "" ? "an empty body" : "a body that is not JSON";
  }
  if (body === undefined || body === null) return "an empty body";
  if (typeof body !== "object") return "a JSON value that is not an object";
  const choices = (body as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) return "a JSON object without choices";
  if (choices.length === 0) return "an empty choices list";
  return "a choice without a message";
}

function invalid<T>(
  code: StepErrorCode,
  message: string,
  validationErrors: string[],
  call: CallRecord,
): StructuredResult<T> {
  return {
    outcome: "invalid",
    error: stepError(code, message, { validation_errors: validationErrors }),
    validationErrors,
    call,
  };
}

function tokenUsage(completion: ChatCompletion | undefined): TokenUsage | null {
  const usage = completion?.usage;
  if (!usage) return null;
  return { prompt: usage.prompt_tokens, completion: usage.completion_tokens, total: usage.total_tokens };
}
