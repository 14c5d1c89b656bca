import { authenticateApiKey, looksLikeApiKey } from "@leadflow/core/api-keys/api-keys";
import { isSessionLive } from "@leadflow/core/auth/revocation";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.ts";
import { errorResponse } from "../errors.ts";

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i;

function unauthorized(c: Context<AppEnv>) {
  c.header("WWW-Authenticate", 'Bearer realm="leadflow"');
  return errorResponse(c, "unauthorized", "A valid bearer token is required.");
}

/**
 * Who is calling: a session token that was not signed out (POST /auth/logout), or a live API key (`lf_…`) of a
 * machine client. The user id it names scopes every query after it; a key also sets `apiKeyId`.
 */
async function identify(c: Context<AppEnv>): Promise<boolean> {
  const match = BEARER.exec((c.req.header("authorization") ?? "").trim());
  if (!match) return false;
  const credential = match[1]!;
  const { database, tokens } = c.var.deps;
  if (looksLikeApiKey(credential)) {
    const key = await authenticateApiKey(database.db, credential);
    if (!key) return false;
    c.set("userId", key.userId);
    c.set("apiKeyId", key.keyId);
    c.set("log", c.var.log.child({ user_id: key.userId, api_key_id: key.keyId }));
    return true;
  }
  const claims = await tokens.verify(credential);
  // A session is live while it is not signed out (POST /auth/logout) and its user still exists.
  if (!claims || !(await isSessionLive(database.db, claims))) return false;
  c.set("userId", claims.userId);
  c.set("token", claims);
  c.set("log", c.var.log.child({ user_id: claims.userId }));
  return true;
}

/** The lead routes (and /stats): a signed-in user or one of their API keys. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  if (!(await identify(c))) return unauthorized(c);
  await next();
});

/**
 * Routes that manage the account's access (API keys, channels, webhook endpoints, the session itself): a person's
 * session only. A valid API key is known but not allowed here: 403, so a leaked key cannot mint more keys.
 */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  if (!(await identify(c))) return unauthorized(c);
  if (c.var.apiKeyId)
    return errorResponse(c, "forbidden", "An API key cannot be used here; sign in instead.");
  await next();
});
