import { eq, sql } from "drizzle-orm";
import { pgErrorCode, type Queryable } from "../db/client.ts";
import { users } from "../db/schema.ts";
import { DomainError } from "../errors.ts";
import { hashPassword, passwordProblem, verifyPassword } from "./password.ts";
import type { PublicUser } from "./views.ts";

export type { PublicUser } from "./views.ts";

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const toPublic = (u: { id: string; email: string; createdAt: Date }): PublicUser => ({
  id: u.id,
  email: u.email,
  created_at: u.createdAt.toISOString(),
});

export async function signUp(
  db: Queryable,
  input: { email: string; password: string },
  bcryptCost: number,
): Promise<PublicUser> {
  const problem = passwordProblem(input.password);
  if (problem) {
    throw new DomainError("validation_failed", "The request is invalid.", [
      { path: "password", message: problem },
    ]);
  }
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password, bcryptCost);
  try {
    const [row] = await db.insert(users).values({ email, passwordHash }).returning();
    return toPublic(row!);
  } catch (err) {
    if (pgErrorCode(err) === "23505")
      throw new DomainError("email_taken", "An account with this email already exists.");
    throw err;
  }
}

/**
 * A hash of a random password at the same cost, compared against when the email is unknown, so both failures
 * take one bcrypt comparison and cannot be told apart by their timing.
 */
const dummyHashes = new Map<number, Promise<string>>();
function dummyHash(cost: number) {
  let hash = dummyHashes.get(cost);
  if (!hash) {
    hash = hashPassword(crypto.randomUUID(), cost);
    dummyHashes.set(cost, hash);
  }
  return hash;
}

/**
 * The user the email and password name, or `invalid_credentials`. `compare` is the bcrypt comparison; a test
 * passes one that records its calls (and delegates) to see that an unknown email costs one comparison too.
 */
export async function logIn(
  db: Queryable,
  input: { email: string; password: string },
  bcryptCost: number,
  compare: (password: string, hash: string) => Promise<boolean> = verifyPassword,
): Promise<PublicUser> {
  const email = normalizeEmail(input.email);
  const [row] = await db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.email})`, email))
    .limit(1);
  const ok = await compare(input.password, row?.passwordHash ?? (await dummyHash(bcryptCost)));
  if (!row || !ok) throw new DomainError("invalid_credentials", "The email or password is incorrect.");
  return toPublic(row);
}

export async function findUser(db: Queryable, id: string): Promise<PublicUser | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ? toPublic(row) : null;
}
