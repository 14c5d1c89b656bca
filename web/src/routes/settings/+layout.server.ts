import { redirect } from "@sveltejs/kit";
import { loginUrl } from "#lib/server/api.ts";
import type { LayoutServerLoad } from "./$types";

/** Settings are a signed-in person's: anyone else signs in first and comes back here. */
export const load: LayoutServerLoad = (event) => {
  if (!event.locals.token) redirect(303, loginUrl(event));
};
