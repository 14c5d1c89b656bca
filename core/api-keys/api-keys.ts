import { createHash, randomBytes } from "node:crypto";
import { and, asc, count, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { apiKeys } from "../db/schema.ts";
import { API_ROLE, asUser } from "../db/scoped.ts";
import { DomainError } from "../errors.ts";
import type { ApiKeyView, CreatedApiKey } from "./views.ts";

export type { ApiKeyView, CreatedApiKey } from "./views.ts";

export const API_KEY_PREFIX = "lf_";
/** Live keys one user may hold; revoked ones do not count. */
export const MAX_API_KEYS = 20;
/** `last_used_at` is written at most this often per key, so a busy client does not turn every read into a write. */
const LAST_USED_GRANULARITY_SECONDS = 60;
/** What the list and the log show of a key: `lf_` and 9 more characters, enough to recognise it, too few to use. */
const PREFIX_LENGTH = 12;

/** 32 random bytes, base64url: 43 URL-safe characters after `lf_`, far past guessing, so no slow hash is needed. */
const generateKey = () => `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
const digestOf = (key: string) => createHash("sha256").update(key, "utf8").digest();

/** Whether a bearer credential is an API key rather than a session token (a JWT never starts with `lf_`). */
export const looksLikeApiKey = (credential: string) => credential.startsWith(API_KEY_PREFIX);

const view = (row: typeof apiKeys.$inferSelect): ApiKeyView => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  created_at: row.createdAt.toISOString(),
  last_used_at: row.lastUsedAt?.toISOString() ?? null,
});

/**
 * Makes a key for the user and returns it whole, the one time it is ever seen. The count and the insert run under
 * a per-user advisory lock, so parallel requests cannot together pass the limit.
 */
export async function createApiKey(db: Database, userId: string, name: string): Promise<CreatedApiKey> {
  return asUser(db, userId, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`api_keys:${userId}`}, 0))`);
    const [live] = await tx
      .select({ n: count() })
      .from(apiKeys)
      .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)));
    if ((live?.n ?? 0) >= MAX_API_KEYS) {
      throw new DomainError(
        "limit_reached",
        `A user may hold at most ${MAX_API_KEYS} API keys; revoke one first.`,
      );
    }
    const key = generateKey();
    const [row] = await tx
      .insert(apiKeys)
      .values({ userId, name, prefix: key.slice(0, PREFIX_LENGTH), digest: digestOf(key) })
      .returning();
    return { ...view(row!), key };
  });
}

export async function listApiKeys(db: Database, userId: string): Promise<{ items: ApiKeyView[] }> {
  const rows = await asUser(db, userId, (tx) =>
    tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)),
  );
  return { items: rows.map(view) };
}

/** Revokes one of the user's keys; another user's key, or one already revoked, is not found. */
export async function revokeApiKey(db: Database, userId: string, id: string): Promise<void> {
  const revoked = await asUser(db, userId, (tx) =>
    tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id }),
  );
  if (revoked.length === 0) throw new DomainError("not_found", "No such API key.");
}

/** Who a presented key authenticates: its user and key id, or null when it is unknown or revoked. */
export async function authenticateApiKey(
  db: Database,
  key: string,
): Promise<{ userId: string; keyId: string } | null> {
  const digest = digestOf(key);
  return db.transaction(async (tx) => {
    // Row-level security shows this transaction the one row whose digest it presents, and nothing else.
    await tx.execute(
      sql`select set_config('role', ${API_ROLE}, true), set_config('app.api_key_digest', ${digest.toString("hex")}, true)`,
    );
    const [found] = await tx
      .select({ id: apiKeys.id, userId: apiKeys.userId })
      .from(apiKeys)
      .where(and(eq(apiKeys.digest, digest), isNull(apiKeys.revokedAt)));
    if (!found) return null;
    await tx.execute(sql`select set_config('app.user_id', ${found.userId}, true)`);
    await tx
      .update(apiKeys)
      .set({ lastUsedAt: sql`now()` })
      .where(
        and(
          eq(apiKeys.id, found.id),
          or(
            isNull(apiKeys.lastUsedAt),
            lt(apiKeys.lastUsedAt, sql`now() - make_interval(secs => ${LAST_USED_GRANULARITY_SECONDS})`),
          ),
        ),
      );
    return { userId: found.userId, keyId: found.id };
  });
}
