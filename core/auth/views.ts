import { z } from "zod";

/**
 * The user as the API shows it (sign-up, login, GET /auth/me): never the password hash. Its own module, free of
 * the database, so the web app can read its type with `import type`.
 */
export const publicUser = z
  .object({ id: z.uuid(), email: z.email(), created_at: z.iso.datetime() })
  .meta({ id: "User" });
export type PublicUser = z.infer<typeof publicUser>;

/** What sign-up and login answer: a bearer token for the user. */
export const tokenAnswer = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().describe("Seconds until the token expires."),
    user: publicUser,
  })
  .meta({ id: "TokenAnswer" });
export type TokenAnswer = z.infer<typeof tokenAnswer>;
