import { sql } from "drizzle-orm";
import type { Database, Queryable } from "../db/client.ts";
import { revokedTokens, users } from "../db/schema.ts";
import { asUser } from "../db/scoped.ts";
import type { TokenClaims } from "./token.ts";

/** Expired revocations a logout deletes: more than a logout adds (one), so the table cannot grow without end. */
const PRUNE_PER_LOGOUT = 10;

/**
 * Signs one token out before its `exp`: its jti is refused from then on. Kept only until the token would have
 * expired anyway; a few rows past that are pruned on the way. (No FOR UPDATE there: under row-level security it
 * would need an UPDATE policy; two logouts pruning the same row just wait for each other.)
 */
export async function revokeToken(db: Database, claims: TokenClaims): Promise<void> {
  await asUser(db, claims.userId, async (tx) => {
    await tx
      .insert(revokedTokens)
      .values({ jti: claims.jti, userId: claims.userId, expiresAt: claims.expiresAt })
      .onConflictDoNothing();
    await tx.execute(sql`
      delete from revoked_tokens where jti in (
        select jti from revoked_tokens where expires_at <= now() limit ${PRUNE_PER_LOGOUT})`);
  });
}

/**
 * Whether a verified token still stands for a session: its user still exists and it was not signed out. One
 * statement for both: a deleted user's revocations go with it (on delete cascade), so without the user check its
 * signed-out tokens would come back to life.
 */
export async function isSessionLive(
  db: Queryable,
  claims: Pick<TokenClaims, "userId" | "jti">,
): Promise<boolean> {
  const { rows } = await db.execute<{ live: boolean }>(sql`
    select exists (select 1 from ${users} where ${users.id} = ${claims.userId})
       and not exists (select 1 from ${revokedTokens} where ${revokedTokens.jti} = ${claims.jti}) as live`);
  return rows[0]?.live === true;
}
