/**
 * What a model provider wrote that may be shown to a user: its error bodies (an OpenAI 429 names the organisation,
 * a proxy may echo a key), with the identifiers and secrets in them replaced. The sentence itself stays, since it
 * says what went wrong.
 */
const SECRETS: Array<[RegExp, string]> = [
  [/\bBearer\s+[^\s"',]+/gi, "Bearer [redacted]"],
  [/\bsk-[A-Za-z0-9_*-]{6,}/g, "sk-[redacted]"],
  [/\borg-[A-Za-z0-9]{6,}/g, "org-[redacted]"],
  [/\bproj_[A-Za-z0-9]{6,}/g, "proj_[redacted]"],
  [/\breq_[A-Za-z0-9]{6,}/g, "req_[redacted]"],
  [/\buser-[A-Za-z0-9]{6,}/g, "user-[redacted]"],
  [/[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi, "[redacted email]"],
  // Anything else that looks like a key or an id: a long run of letters and digits.
  [/\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{24,}\b/g, "[redacted]"],
];

export function redactProviderText(text: string): string {
  return SECRETS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** The step error codes whose attempt's raw response is the provider's error body, not a model answer. */
export const PROVIDER_ERROR_CODES: ReadonlySet<string> = new Set([
  "LLM_TIMEOUT",
  "LLM_RATE_LIMITED",
  "LLM_UNAVAILABLE",
  "LLM_AUTH",
  "LLM_BAD_REQUEST",
  "INTERNAL",
]);
