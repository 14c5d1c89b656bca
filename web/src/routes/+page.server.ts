import { redirect } from "@sveltejs/kit";
import { DEFAULT_NEXT } from "#lib/next-path.ts";
import type { PageServerLoad } from "./$types";

/** A signed-in user's home is the inbox; anyone else signs in first. */
export const load: PageServerLoad = ({ locals }) => {
  redirect(303, locals.token ? DEFAULT_NEXT : "/login");
};
