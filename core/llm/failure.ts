import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from "openai";
import type { StepErrorCode } from "../schemas/workflow.ts";
import type { LlmClientOptions } from "./client.ts";
import { responseTooLarge } from "./response-limit.ts";
import { type CallRecord, type StructuredResult, stepError } from "./types.ts";

/** Error bodies are kept for the attempt log, but only an excerpt: a proxy's HTML error page can be huge. */
const MAX_ERROR_BODY_CHARS = 2000;

/** Maps whatever the SDK threw to a stable code; the order matters because the SDK's classes inherit. */
export function failure<T>(
  error: unknown,
  latencyMs: number,
  options: LlmClientOptions,
): StructuredResult<T> {
  const call: CallRecord = { model: options.model, latencyMs, tokens: null, rawResponse: null };
  const result = (
    code: StepErrorCode,
    message: string,
    retryAfterMs: number | null = null,
  ): StructuredResult<T> => ({
    outcome: "error",
    error: stepError(code, message),
    retryAfterMs,
    call,
  });

  if (
    error instanceof APIConnectionTimeoutError ||
    error instanceof APIUserAbortError ||
    isAbortError(error)
  ) {
    return result("LLM_TIMEOUT", `The model did not answer within ${options.timeoutMs} ms.`);
  }
  const tooLarge = responseTooLarge(error);
  if (tooLarge) {
    return result(
      "LLM_UNAVAILABLE",
      `The model server sent more than ${tooLarge.limitBytes} bytes in one answer; check OPENAI_BASE_URL.`,
    );
  }
  if (error instanceof APIConnectionError) {
    return result("LLM_UNAVAILABLE", "The model server could not be reached.");
  }
  if (error instanceof SyntaxError) {
    // The SDK parses a JSON content type itself; a body that breaks it is the server's fault, as a 5xx is.
    return result(
      "LLM_UNAVAILABLE",
      "The model server answered with a JSON content type but a body that is not JSON; check OPENAI_BASE_URL.",
    );
  }
  if (error instanceof APIError && typeof error.status === "number") {
    call.rawResponse = errorBodyExcerpt(error, options.apiKey);
    const status = error.status;
    const retryAfterMs = parseRetryAfter(error.headers);
    if (error instanceof RateLimitError && isQuotaExhausted(error)) {
      // OpenAI sends "insufficient_quota" as a 429, but waiting never helps: the account has no credit left.
      return result(
        "LLM_BAD_REQUEST",
        "The model provider refused the call: the account's quota is used up (HTTP 429 insufficient_quota); " +
          "check its plan and billing.",
      );
    }
    if (error instanceof RateLimitError) {
      return result(
        "LLM_RATE_LIMITED",
        "The model server is rate limiting our requests (HTTP 429).",
        retryAfterMs,
      );
    }
    if (error instanceof InternalServerError) {
      return result("LLM_UNAVAILABLE", `The model server failed with HTTP ${status}.`, retryAfterMs);
    }
    if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
      return result("LLM_AUTH", `The model server refused our credentials (HTTP ${status}).`);
    }
    if (
      error instanceof BadRequestError ||
      error instanceof NotFoundError ||
      error instanceof UnprocessableEntityError
    ) {
      return result("LLM_BAD_REQUEST", `The model server rejected the request (HTTP ${status}).`);
    }
    // 408 and 409 are the statuses the SDK itself treats as transient; any other 4xx is our request's fault.
    if (status === 408)
      return result("LLM_TIMEOUT", "The model server timed out the request (HTTP 408).", retryAfterMs);
    if (status === 409)
      return result("LLM_UNAVAILABLE", "The model server was busy (HTTP 409).", retryAfterMs);
    if (status >= 400 && status < 500) {
      return result("LLM_BAD_REQUEST", `The model server rejected the request (HTTP ${status}).`);
    }
  }
  options.onUnexpectedError?.(error);
  return result("INTERNAL", "An unexpected error occurred while calling the model.");
}

function isQuotaExhausted(error: APIError): boolean {
  const body = error.error as { code?: unknown; type?: unknown } | undefined;
  return (
    error.code === "insufficient_quota" ||
    body?.code === "insufficient_quota" ||
    body?.type === "insufficient_quota"
  );
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

/**
 * The error body as the server sent it (the SDK keeps the parsed `error` object, or the text in the message when
 * the body was not JSON), cut to a bounded excerpt, with our own key removed in case a proxy echoes it.
 */
function errorBodyExcerpt(error: APIError, apiKey: string): string {
  const body = error.error !== undefined ? JSON.stringify({ error: error.error }) : error.message;
  return redact(body, apiKey).slice(0, MAX_ERROR_BODY_CHARS);
}

function redact(text: string, secret: string): string {
  return secret ? text.replaceAll(secret, "[redacted]") : text;
}

/**
 * Milliseconds the server asked us to wait: `retry-after-ms` (OpenAI's own, more precise) wins over
 * `retry-after`, which is either delta-seconds or an HTTP date. Null when absent or unreadable.
 */
export function parseRetryAfter(headers: Headers | undefined, now: number = Date.now()): number | null {
  const ms = headers?.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Math.round(Number(ms));
  const value = headers?.get("retry-after")?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}
