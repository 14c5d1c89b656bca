import { isDatabaseUnavailable } from "@leadflow/core/db/failures";
import { DomainError, type DomainErrorCode } from "@leadflow/core/errors";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

export type ApiErrorCode =
  | DomainErrorCode
  | "invalid_json"
  | "payload_too_large"
  | "unauthorized"
  | "invalid_signature"
  | "forbidden"
  | "origin_not_allowed"
  | "internal";

const STATUS: Record<ApiErrorCode, ContentfulStatusCode> = {
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_signature: 401,
  forbidden: 403,
  origin_not_allowed: 403,
  not_found: 404,
  email_taken: 409,
  not_failed: 409,
  retry_limit: 409,
  limit_reached: 409,
  payload_too_large: 413,
  idempotency_conflict: 422,
  rate_limited: 429,
  internal: 500,
  service_unavailable: 503,
};

/** The envelope, with the code's status unless a provider's contract names another (Mailgun's 406). */
export function errorResponse(
  c: Context,
  code: ApiErrorCode,
  message: string,
  details?: unknown,
  status: ContentfulStatusCode = STATUS[code],
) {
  return c.json({ error: { code, message, ...(details === undefined ? {} : { details }) } }, status);
}

export function zodDetails(error: ZodError) {
  return error.issues.map((issue) => ({ path: issue.path.join(".") || "(body)", message: issue.message }));
}

/** Anything thrown becomes the envelope; an unexpected error is logged in full and answered without detail. */
export function onError(err: Error, c: Context) {
  if (err instanceof DomainError) return errorResponse(c, err.code, err.message, err.details);
  if (err instanceof HTTPException) {
    if (err.status === 400 && /json/i.test(err.message)) {
      return errorResponse(c, "invalid_json", "The request body is not valid JSON.");
    }
    if (err.status === 413) return errorResponse(c, "payload_too_large", "The request body is too large.");
    if (err.status === 401) return errorResponse(c, "unauthorized", "A valid bearer token is required.");
  }
  if (isDatabaseUnavailable(err)) {
    c.get("log")?.error({ err }, "dependency unavailable");
    c.header("Retry-After", "5");
    return errorResponse(
      c,
      "service_unavailable",
      "A service leadflow depends on is unavailable; try again shortly.",
    );
  }
  c.get("log")?.error({ err }, "unhandled error");
  return errorResponse(c, "internal", "Something went wrong on our side.");
}
