import { redirect } from "@sveltejs/kit";
import { authAction } from "#lib/server/auth.ts";
import { safeNext } from "#lib/server/session.ts";
import type { Actions, PageServerLoad } from "./$types";

const NOTICES: Record<string, string> = {
  expired: "Your session has expired. Please sign in again.",
  signed_out: "You have signed out.",
};

export const load: PageServerLoad = ({ locals, url }) => {
  const next = url.searchParams.get("next");
  if (locals.token) redirect(303, safeNext(next));
  return { next, notice: NOTICES[url.searchParams.get("reason") ?? ""] ?? null };
};

export const actions: Actions = {
  default: (event) => authAction(event, "/auth/login"),
};
