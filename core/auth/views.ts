/**
 * The user as the API shows it (sign-up, login, GET /auth/me): never the password hash. Its own module, free of
 * the database, so the web app can read it with `import type`.
 */
export interface PublicUser {
  id: string;
  email: string;
  created_at: string;
}
