/**
 * Domain failures the API turns into HTTP answers. `code` is the stable API error code clients branch on;
 * core never knows the status, only what went wrong.
 */
export type DomainErrorCode =
  | "validation_failed"
  | "email_taken"
  | "invalid_credentials"
  | "not_found"
  | "not_failed"
  | "retry_limit"
  | "limit_reached"
  | "idempotency_conflict"
  | "rate_limited"
  | "service_unavailable";

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly details?: unknown;
  constructor(code: DomainErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.details = details;
  }
}
