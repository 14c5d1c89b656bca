import type { z } from "zod";

export type ParseInvalidCode = "AI_INVALID_JSON" | "AI_SCHEMA_MISMATCH";

export type ParseResult<T> =
  | { outcome: "ok"; value: T; repaired: "markdown_fence" | null }
  | { outcome: "invalid"; code: ParseInvalidCode; validationErrors: string[] };

/**
 * A whole answer that is one markdown code fence, optionally tagged `json`. The body may not contain another
 * fence: two fences (or prose around one) is not "a single fence" and is refused like any other non-JSON.
 */
const SINGLE_FENCE = /^\s*```(?:json)?[ \t]*(?:\r?\n)?((?:(?!```)[\s\S])*?)\r?\n?[ \t]*```\s*$/i;

/** Where a problem sits in the answer, as a reader of the re-ask prompt would write it: `a.b[0].c`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** `path: problem` lines, the form that goes back to the model in a re-ask and into the attempt log. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
}

/**
 * Reads a model's answer as JSON and validates it against the step's schema. Exactly one lenience: an answer
 * that is a single markdown code fence is unwrapped first (models add them even under strict structured outputs);
 * everything else, trailing commas and prose included, is refused so the re-ask tells the model what was wrong.
 */
export function parseStructured<T>(content: string, schema: z.ZodType<T>): ParseResult<T> {
  const fence = SINGLE_FENCE.exec(content);
  const text = fence ? fence[1]! : content;
  const repaired = fence ? "markdown_fence" : null;

  if (text.trim() === "") {
    return { outcome: "invalid", code: "AI_INVALID_JSON", validationErrors: ["(root): the answer is empty"] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // V8 quotes a snippet of the text; keep it on one line so each validation error stays one line.
    const reason = err instanceof SyntaxError ? err.message.replace(/\s+/g, " ") : "unparseable";
    return {
      outcome: "invalid",
      code: "AI_INVALID_JSON",
      validationErrors: [`(root): the answer is not valid JSON (${reason})`],
    };
  }

  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return {
      outcome: "invalid",
      code: "AI_SCHEMA_MISMATCH",
      validationErrors: formatIssues(parsed.error.issues),
    };
  }
  return { outcome: "ok", value: parsed.data, repaired };
}
