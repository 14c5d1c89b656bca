import { z } from "zod";
import { type ApiErrorCode, ERROR_STATUS } from "./errors.ts";

/** A JSON answer, for a route's `responses`. */
export const jsonAnswer = <Schema extends z.ZodType>(description: string, schema: Schema) => ({
  description,
  content: { "application/json": { schema } },
});

/** A required JSON request body, for a route's `request.body`. */
export const jsonBody = <Schema extends z.ZodType>(schema: Schema) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** What any route with a JSON body can answer before its handler runs (bodyLimit, the media-type gate, zod). */
export const JSON_BODY_ERRORS = [
  "invalid_json",
  "validation_failed",
  "payload_too_large",
  "unsupported_media_type",
] as const satisfies ApiErrorCode[];

/** Bearer-token routes: requireUser refuses a missing or revoked token, and its revocation check reads the database. */
export const SIGNED_IN = { security: [{ bearer: [] }] };
export const SIGNED_IN_ERRORS = ["unauthorized", "service_unavailable"] as const satisfies ApiErrorCode[];
/** Routes that manage the account's access (requireSession): a valid API key is refused there, 403. */
export const SESSION_ONLY_ERRORS = [...SIGNED_IN_ERRORS, "forbidden"] as const satisfies ApiErrorCode[];
/** Routes anyone may call declare so, with an empty list, rather than leaving it unsaid. */
export const PUBLIC = { security: [] };

const MEANING: Record<ApiErrorCode, string> = {
  invalid_json: "the body is not valid JSON",
  validation_failed: "the request breaks its schema; `details` lists each field path and problem",
  unauthorized: "no valid bearer token or API key (missing, invalid, expired, signed out or revoked)",
  invalid_credentials: "unknown email or wrong password (one answer for both)",
  not_found: "no such resource of the caller's",
  email_taken: "an account with this email exists",
  not_failed: "only a failed workflow can be retried",
  retry_limit: "the workflow has run WORKFLOW_MAX_RUNS times",
  payload_too_large: "the body is over 64 KiB",
  unsupported_media_type: "the body is not application/json",
  invalid_signature: "the delivery's signature or credentials do not check out for this channel",
  forbidden: "an API key cannot be used here; sign in instead",
  origin_not_allowed: "this page's origin is not in the web-chat channel's allowed_origins",
  limit_reached: "the user already holds 20 live API keys",
  idempotency_conflict: "this Idempotency-Key was used with a different body",
  rate_limited: "over the per-minute limit; see Retry-After",
  internal: "an error on our side",
  service_unavailable:
    "a dependency (the database, or the rate-limit store of /auth) is down; see Retry-After",
};

const fieldProblem = z.object({ path: z.string(), message: z.string() });

const envelope = (codes: readonly [ApiErrorCode, ...ApiErrorCode[]]) =>
  z.object({
    error: z.object({
      code: z.enum(codes),
      message: z.string(),
      details: z.array(fieldProblem).optional(),
    }),
  });

const retryAfter = {
  "Retry-After": {
    description: "Seconds to wait before trying again.",
    schema: { type: "integer" as const, minimum: 1 },
  },
};

type ErrorAnswer = {
  description: string;
  headers?: typeof retryAfter;
  content: { "application/json": { schema: ReturnType<typeof envelope> } };
};
type StatusOf<Code extends ApiErrorCode> = (typeof ERROR_STATUS)[Code];

/**
 * A route's error answers, declared by their codes: one response per status (from ERROR_STATUS), whose envelope
 * lists exactly the codes that status can carry there. 429 and 503 also declare Retry-After.
 */
export function errorAnswers<const Codes extends readonly ApiErrorCode[]>(
  ...codes: Codes
): { [Status in StatusOf<Codes[number]>]: ErrorAnswer } {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const answers = [...byStatus].map(([status, list]) => [status, errorAnswerAt(status, list)]);
  return Object.fromEntries(answers);
}

/**
 * One error answer at a given status: for the rare provider contract that puts a code at a status other than its
 * own (Mailgun stops retrying on 406), beside errorAnswers' usual ones.
 */
export function errorAnswerAt(status: number, codes: readonly ApiErrorCode[]): ErrorAnswer {
  return {
    description: codes.map((code) => `\`${code}\`: ${MEANING[code]}.`).join(" "),
    ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
    content: { "application/json": { schema: envelope(codes as [ApiErrorCode, ...ApiErrorCode[]]) } },
  };
}
