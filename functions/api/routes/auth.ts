import { createRoute } from "@hono/zod-openapi";
import { revokeToken } from "@leadflow/core/auth/revocation";
import { findUser, logIn, normalizeEmail, signUp } from "@leadflow/core/auth/users";
import { type PublicUser, publicUser, tokenAnswer } from "@leadflow/core/auth/views";
import { z } from "zod";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { requireSession } from "../middleware/auth.ts";
import { byIp, failureLimit, rateLimit } from "../middleware/rate-limit.ts";
import {
  errorAnswers,
  JSON_BODY_ERRORS,
  jsonAnswer,
  jsonBody,
  PUBLIC,
  SESSION_ONLY_ERRORS,
  SIGNED_IN,
} from "../responses.ts";
import { router } from "../router.ts";

// The meta says what the pipe and core's byte check enforce, for the document: it cannot see through either.
const credentials = z.strictObject({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email().max(254))
    .meta({ format: "email", maxLength: 254, description: "Trimmed and lower-cased before use." }),
  password: z
    .string()
    .min(1)
    .max(1024)
    .meta({ description: "At sign-up 8 to 72 bytes of UTF-8 (bcrypt reads no further)." }),
});

async function tokenFor(c: { var: AppEnv["Variables"] }, user: PublicUser) {
  const { token, expiresIn } = await c.var.deps.tokens.sign(user.id);
  return { access_token: token, token_type: "Bearer" as const, expires_in: expiresIn, user };
}

/** The email a request names, for its per-account limit; none when the body has no usable one (zod refuses it). */
async function emailKey(c: { req: { json(): Promise<unknown> } }): Promise<string | null> {
  const body = await c.req.json().catch(() => null);
  const email = (body as { email?: unknown } | null)?.email;
  return typeof email === "string" ? `email:${normalizeEmail(email)}` : null;
}

// Per address and per account: one address cannot spray many accounts, many addresses cannot hammer one account.
// An account's budget counts failed attempts only, so guessing at someone's account cannot lock its owner out.
// Both fail closed: with their store away, nothing would stop password guessing.
const authLimit = (name: string) => [
  rateLimit(name, (c) => c.var.deps.config.AUTH_RATE_LIMIT, byIp, "closed"),
  failureLimit(name, (c) => c.var.deps.config.AUTH_RATE_LIMIT, emailKey, "closed"),
];
const LIMIT_ERRORS = ["rate_limited", "service_unavailable"] as const;

/** Sign-up and login: credentials in, a token out, behind the /auth limits; they differ in status and refusal. */
const credentialsRoute = <const Status extends 200 | 201>(
  name: "signup" | "login",
  operationId: string,
  summary: string,
  answer: { status: Status; description: string },
  refusal: "email_taken" | "invalid_credentials",
) =>
  createRoute({
    method: "post",
    path: `/${name}`,
    operationId,
    summary,
    tags: ["auth"],
    ...PUBLIC,
    middleware: authLimit(name),
    request: { body: jsonBody(credentials) },
    responses: {
      ...({ [answer.status]: jsonAnswer(answer.description, tokenAnswer) } as {
        [S in Status]: ReturnType<typeof jsonAnswer<typeof tokenAnswer>>;
      }),
      ...errorAnswers(...JSON_BODY_ERRORS, refusal, ...LIMIT_ERRORS),
    },
  });

const signup = credentialsRoute(
  "signup",
  "signUp",
  "Create an account and get a token",
  { status: 201, description: "Signed up." },
  "email_taken",
);
const login = credentialsRoute(
  "login",
  "logIn",
  "Exchange email and password for a token",
  { status: 200, description: "Logged in." },
  "invalid_credentials",
);

const logout = createRoute({
  method: "post",
  path: "/logout",
  operationId: "logOut",
  summary: "Revoke the presented token until it expires",
  tags: ["auth"],
  ...SIGNED_IN,
  middleware: [requireSession],
  responses: { 204: { description: "Signed out." }, ...errorAnswers(...SESSION_ONLY_ERRORS) },
});

const me = createRoute({
  method: "get",
  path: "/me",
  operationId: "getCurrentUser",
  summary: "The signed-in user",
  tags: ["auth"],
  ...SIGNED_IN,
  middleware: [requireSession],
  responses: { 200: jsonAnswer("The user.", publicUser), ...errorAnswers(...SESSION_ONLY_ERRORS) },
});

export const authRoutes = router()
  .openapi(signup, async (c) => {
    const user = await signUp(c.var.deps.database.db, c.req.valid("json"), c.var.deps.config.BCRYPT_COST);
    c.var.log.info({ user_id: user.id }, "user signed up");
    return c.json(await tokenFor(c, user), 201);
  })
  .openapi(login, async (c) => {
    const user = await logIn(c.var.deps.database.db, c.req.valid("json"), c.var.deps.config.BCRYPT_COST);
    return c.json(await tokenFor(c, user), 200);
  })
  // The presented token is refused from now until its exp; the client drops its copy too.
  .openapi(logout, async (c) => {
    await revokeToken(c.var.deps.database.db, c.var.token);
    c.var.log.info("user signed out");
    return c.body(null, 204);
  })
  .openapi(me, async (c) => {
    const user = await findUser(c.var.deps.database.db, c.var.userId);
    // A valid token for a deleted user is no longer a session.
    if (!user) throw new ApiError("unauthorized", "A valid bearer token is required.");
    return c.json(user, 200);
  });
