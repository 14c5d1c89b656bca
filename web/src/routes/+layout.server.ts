import { apiRequest } from "#lib/server/api.ts";
import { getMeta } from "#lib/server/meta.ts";
import { clearSession } from "#lib/server/session.ts";
import type { User } from "#lib/types.ts";
import { LIVE_UPDATES } from "$app/env/private";
import type { LayoutServerLoad } from "./$types";

/**
 * Every page: whether answers come from the simulator, who is signed in (never the token itself), and how pages
 * follow changes (LIVE_UPDATES: the relayed stream, or polling).
 */
export const load: LayoutServerLoad = async (event) => {
  const [meta, me] = await Promise.all([
    getMeta(),
    event.locals.token ? apiRequest<User>("/auth/me", { token: event.locals.token, event }) : null,
  ]);
  if (me?.status === 401) clearSession(event);
  return { meta, user: me?.ok ? { email: me.data.email } : null, live: LIVE_UPDATES };
};
