import { redirect } from "@sveltejs/kit";
import { apiRequest } from "#lib/server/api.ts";
import { clearSession } from "#lib/server/session.ts";
import type { Actions, PageServerLoad } from "./$types";

// Signing out is a POST (a link could be followed by a prefetch or a crawler); a GET just goes home.
export const load: PageServerLoad = () => {
  redirect(303, "/");
};

/**
 * The token is revoked at the API (POST /auth/logout), not only dropped from the cookie: a copy of it taken
 * before, from this browser or its traffic, stops working too. The cookie goes whatever the API answered, since
 * the user asked to be signed out here.
 */
export const actions: Actions = {
  default: async (event) => {
    const token = event.locals.token;
    if (token) await apiRequest("/auth/logout", { method: "POST", token, event });
    clearSession(event);
    redirect(303, "/login?reason=signed_out");
  },
};
