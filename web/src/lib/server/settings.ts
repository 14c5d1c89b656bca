import type { ApiErrorBody } from "../types.ts";
import { formProblems } from "./api.ts";

/** zod's own words, where the settings forms can say more. */
const CLEARER: Record<string, string> = {
  "Invalid URL": "must be a full https URL, such as https://example.com/hooks/leadflow",
};

/**
 * The API's field problems for a settings form, keyed by the form's own field names: `settings.signing_key` is
 * the field `signing_key`, and `settings.allowed_origins.1` is line 2 of the field `allowed_origins`, quoted from
 * `lines` when given. A message that repeats its field's name ("signing_key must not be empty") drops it, since
 * it is shown under that field.
 */
export function settingsProblems(apiError: ApiErrorBody, lines: Record<string, string[]> = {}) {
  const details = apiError.details?.map(({ path, message }) => {
    const parts = path.split(".");
    if (parts[0] === "settings") parts.shift();
    const field = parts.find((part) => !/^\d+$/.test(part)) ?? "";
    const index = parts.find((part) => /^\d+$/.test(part));
    let text = message.startsWith(`${field} `) ? message.slice(field.length + 1) : message;
    text = CLEARER[text] ?? text;
    if (index !== undefined) {
      const line = lines[field]?.[Number(index)];
      text = `line ${Number(index) + 1}${line === undefined ? "" : ` (“${line}”)`}: ${text}.`;
    }
    return { path: field || "(body)", message: text };
  });
  return formProblems({ ...apiError, details });
}

/** A text area's lines, each trimmed, the empty ones dropped: one value a line. */
export const lineList = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
