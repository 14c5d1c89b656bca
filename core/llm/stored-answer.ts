import { escapeUnstorable } from "../schemas/text.ts";

/**
 * What an attempt keeps of a model's answer (or of an error body, or of a validation error): always storable,
 * and at most `maxBytes` of UTF-8, cut on a character boundary and marked with how much there was. A hostile or
 * runaway provider can send megabytes; the attempt log keeps enough to see what happened.
 */
export function storedText(text: string, maxBytes: number): string {
  const escaped = escapeUnstorable(text);
  const bytes = Buffer.byteLength(escaped, "utf8");
  if (bytes <= maxBytes) return escaped;
  const marker = ` […cut: ${bytes} bytes in all]`;
  return `${cutToBytes(escaped, Math.max(0, maxBytes - Buffer.byteLength(marker)))}${marker}`;
}

/** The longest prefix of `text` whose UTF-8 form fits in `maxBytes`, never splitting a character. */
export function cutToBytes(text: string, maxBytes: number): string {
  const buffer = Buffer.from(text, "utf8");
  if (buffer.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut falls between two characters.
  while (end > 0 && (buffer[end]! & 0xc0) === 0x80) end--;
  return buffer.subarray(0, end).toString("utf8");
}

/** Validation errors as stored: each line storable, and the whole list within the same byte budget. */
export function storedErrors(errors: readonly string[], maxBytes: number): string[] {
  const out: string[] = [];
  let budget = maxBytes;
  for (const [i, error] of errors.entries()) {
    const line = storedText(error, Math.min(budget, 2_000));
    budget -= Buffer.byteLength(line, "utf8");
    if (budget <= 0) {
      out.push(`[…${errors.length - i} more validation errors cut]`);
      break;
    }
    out.push(line);
  }
  return out;
}
