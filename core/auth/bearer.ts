import { createHash, timingSafeEqual } from "node:crypto";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Whether an Authorization header carries exactly `Bearer <expected>`: for fixed operator tokens (METRICS_TOKEN),
 * compared in constant time over digests, so neither the content nor the length leaks through timing.
 */
export function carriesBearer(header: string | undefined | null, expected: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? "");
  return match !== null && timingSafeEqual(digest(match[1]!), digest(expected));
}
