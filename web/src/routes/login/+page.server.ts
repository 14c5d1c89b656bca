import { redirect } from "@sveltejs/kit";
import { safeNext } from "#lib/next-path.ts";
import { authAction } from "#lib/server/auth.ts";
import type { Actions, PageServerLoad } from "./$types";

const NOTICES: Record<string, string> = {
  expired: "Your session has expired. Please sign in again.",
  signed_out: "You have signed out.",
};

export const load: PageServerLoad = ({ locals, url }) => {
  // Resolved here already, so a hostile value never reaches the form (nor, after sign-in, a redirect).
  const next = safeNext(url.searchParams.get("next"), url.origin);
  if (locals.token) redirect(303, next);
  return { next, notice: NOTICES[url.searchParams.get("reason") ?? ""] ?? null };
};

export const actions: Actions = {
  default: (event) => authAction(event, "/auth/login"),
};
