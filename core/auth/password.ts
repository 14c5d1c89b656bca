import bcrypt from "bcryptjs";

export const PASSWORD_MIN_BYTES = 8;
/** bcrypt reads only the first 72 bytes; a longer password would be silently truncated, so it is refused. */
export const PASSWORD_MAX_BYTES = 72;

export function passwordProblem(password: string): string | null {
  const bytes = Buffer.byteLength(password, "utf8");
  if (bytes < PASSWORD_MIN_BYTES) return `must be at least ${PASSWORD_MIN_BYTES} bytes`;
  if (bytes > PASSWORD_MAX_BYTES) return `must be at most ${PASSWORD_MAX_BYTES} bytes (bcrypt's limit)`;
  return null;
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(password, cost);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}
