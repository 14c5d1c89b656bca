import { redirect } from "@sveltejs/kit";
import { DEFAULT_NEXT } from "#lib/next-path.ts";
import { authAction } from "#lib/server/auth.ts";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = ({ locals }) => {
  if (locals.token) redirect(303, DEFAULT_NEXT);
  return {};
};

export const actions: Actions = {
  default: (event) => authAction(event, "/auth/signup"),
};
