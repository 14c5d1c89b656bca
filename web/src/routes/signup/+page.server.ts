import { redirect } from "@sveltejs/kit";
import { authAction } from "#lib/server/auth.ts";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = ({ locals }) => {
  if (locals.token) redirect(303, "/leads");
  return {};
};

export const actions: Actions = {
  default: (event) => authAction(event, "/auth/signup"),
};
