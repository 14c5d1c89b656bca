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
  | "unsupported_media_type"
  | "unauthorized"
  | "invalid_signature"
  | "forbidden"
  | "origin_not_allowed"
  | "internal";

/** Each code's one status: the OpenAPI document declares a route's errors by their codes through this table. */
export const ERROR_STATUS = {
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
  unsupported_media_type: 415,
  idempotency_conflict: 422,
  rate_limited: 429,
  internal: 500,
  service_unavailable: 503,
} as const satisfies Record<ApiErrorCode, ContentfulStatusCode>;

/** The envelope, with the code's status unless a provider's contract names another (Mailgun's 406). */
export function errorResponse(
  c: Context,
  code: ApiErrorCode,
  message: string,
  details?: unknown,
  status: ContentfulStatusCode = ERROR_STATUS[code],
) {
  return c.json({ error: { code, message, ...(details === undefined ? {} : { details }) } }, status);
}

/** An answer in the envelope, thrown from a handler: its route's declared answers stay the typed ones. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly details: unknown;
  /** The code's own status unless a provider's contract names another (Mailgun's 406). */
  readonly status: ContentfulStatusCode | undefined;
  constructor(
    code: ApiErrorCode,
    message: string,
    options: { details?: unknown; status?: ContentfulStatusCode } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.details = options.details;
    this.status = options.status;
  }
}

export function zodDetails(error: ZodError) {
  return error.issues.map((issue) => ({ path: issue.path.join(".") || "(body)", message: issue.message }));
}

/** Anything thrown becomes the envelope; an unexpected error is logged in full and answered without detail. */
export function onError(err: Error, c: Context) {
  if (err instanceof DomainError) return errorResponse(c, err.code, err.message, err.details);
  if (err instanceof ApiError) return errorResponse(c, err.code, err.message, err.details, err.status);
  if (err instanceof HTTPException) {
    if (err.status === 400 && /json/i.test(err.message)) {
      return errorResponse(c, "invalid_json", "The request body is not valid JSON.");
    }
    if (err.status === 413) return errorResponse(c, "payload_too_large", "The request body is too large.");
    // @hono/zod-openapi's media-type gate: a JSON route sent another content type, or a body without one.
    if (err.status === 415) {
      return errorResponse(c, "unsupported_media_type", "The request body must be application/json.");
    }
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
