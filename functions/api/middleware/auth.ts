import { isSessionLive } from "@leadflow/core/auth/revocation";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.ts";
import { errorResponse } from "../errors.ts";

/**
 * Every lead route needs a valid bearer token that was not signed out (POST /auth/logout) and whose user still
 * exists; the user id it names scopes every query after it.
 */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  const claims = match ? await c.var.deps.tokens.verify(match[1]!) : null;
  if (!claims || !(await isSessionLive(c.var.deps.database.db, claims))) {
    c.header("WWW-Authenticate", 'Bearer realm="leadflow"');
    return errorResponse(c, "unauthorized", "A valid bearer token is required.");
  }
  c.set("userId", claims.userId);
  c.set("token", claims);
  c.set("log", c.var.log.child({ user_id: claims.userId }));
  await next();
});
