import { z } from "zod";

/**
 * U+0000 or a UTF-16 surrogate without its partner. PostgreSQL's text refuses the first and jsonb refuses both,
 * so a model answer carrying either would pass validation and then be refused by the write that settles its step.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching U+0000 is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function isStorable(text: string): boolean {
  return !text.includes("\u0000") && text.isWellFormed();
}

/** The same text with every unstorable character written out as its JSON escape (`\u0000`, `\ud800`). */
export function escapeUnstorable(text: string): string {
  return text.replace(UNSTORABLE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The one string type of every model answer: bounded, non-empty, and storable. All three steps' schemas use it,
 * so a NUL or a lone surrogate is AI_SCHEMA_MISMATCH and re-asked, like any other invalid answer.
 */
export function answerText(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine(isStorable, { message: "must not contain U+0000 or an unpaired surrogate" });
}
