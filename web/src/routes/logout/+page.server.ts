import { redirect } from "@sveltejs/kit";
import { clearSession } from "#lib/server/session.ts";
import type { Actions, PageServerLoad } from "./$types";

// Signing out is a POST (a link could be followed by a prefetch or a crawler); a GET just goes home.
export const load: PageServerLoad = () => {
  redirect(303, "/");
};

/** The API's tokens are stateless; signing out drops the only copy, the cookie. */
export const actions: Actions = {
  default: (event) => {
    clearSession(event);
    redirect(303, "/login?reason=signed_out");
  },
};
