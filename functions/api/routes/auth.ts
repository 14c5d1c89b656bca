import { revokeToken } from "@leadflow/core/auth/revocation";
import { findUser, logIn, normalizeEmail, type PublicUser, signUp } from "@leadflow/core/auth/users";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { errorResponse } from "../errors.ts";
import { requireSession } from "../middleware/auth.ts";
import { byIp, failureLimit, rateLimit } from "../middleware/rate-limit.ts";
import { validate } from "../validation.ts";

export const credentials = z.strictObject({
  email: z.string().trim().toLowerCase().pipe(z.email().max(254)),
  password: z.string().min(1).max(1024),
});

async function tokenAnswer(c: { var: AppEnv["Variables"] }, user: PublicUser) {
  const { token, expiresIn } = await c.var.deps.tokens.sign(user.id);
  return { access_token: token, token_type: "Bearer", expires_in: expiresIn, user };
}

// Per address and per account: one address cannot spray many accounts, many addresses cannot hammer one account.
// An account's budget counts failed attempts only, so guessing at someone's account cannot lock its owner out.
// Both fail closed: with their store away, nothing would stop password guessing.
const authLimit = (name: string) =>
  [
    rateLimit(name, (c) => c.var.deps.config.AUTH_RATE_LIMIT, byIp, "closed"),
    failureLimit(
      name,
      (c) => c.var.deps.config.AUTH_RATE_LIMIT,
      // Runs after validation, so the body is known to be JSON with an email; Hono caches the parsed body.
      async (c) => `email:${normalizeEmail((await c.req.json()).email)}`,
      "closed",
    ),
  ] as const;

export const authRoutes = new Hono<AppEnv>()
  .post("/signup", validate("json", credentials), ...authLimit("signup"), async (c) => {
    const user = await signUp(c.var.deps.database.db, c.req.valid("json"), c.var.deps.config.BCRYPT_COST);
    c.var.log.info({ user_id: user.id }, "user signed up");
    return c.json(await tokenAnswer(c, user), 201);
  })
  .post("/login", validate("json", credentials), ...authLimit("login"), async (c) => {
    const user = await logIn(c.var.deps.database.db, c.req.valid("json"), c.var.deps.config.BCRYPT_COST);
    return c.json(await tokenAnswer(c, user), 200);
  })
  // The presented token is refused from now until its exp; the client drops its copy too.
  .post("/logout", requireSession, async (c) => {
    await revokeToken(c.var.deps.database.db, c.var.token);
    c.var.log.info("user signed out");
    return c.body(null, 204);
  })
  .get("/me", requireSession, async (c) => {
    const user = await findUser(c.var.deps.database.db, c.var.userId);
    // A valid token for a deleted user is no longer a session.
    if (!user) return errorResponse(c, "unauthorized", "A valid bearer token is required.");
    return c.json(user);
  });
