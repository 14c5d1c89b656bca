import { fail } from "@sveltejs/kit";
import { authed, formText } from "#lib/server/api.ts";
import { settingsProblems } from "#lib/server/settings.ts";
import type { ApiKey, CreatedApiKey } from "#lib/types.ts";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = async (event) => {
  const result = await authed<{ items: ApiKey[] }>(event, "/api-keys");
  return {
    keys: result.ok ? result.data.items : [],
    problem: result.ok ? null : result.error.message,
  };
};

export const actions: Actions = {
  /**
   * Make a key. The key itself is in this answer only (the action's result, shown once): never in a cookie, and
   * never in what a later load returns, since the API lists prefixes alone.
   */
  create: async (event) => {
    const name = formText(await event.request.formData(), "name");
    const result = await authed<CreatedApiKey>(event, "/api-keys", {
      method: "POST",
      body: { name },
      errorPage: false,
    });
    if (!result.ok) return fail(result.status, { create: { name, ...settingsProblems(result.error) } });
    return { created: result.data };
  },

  revoke: async (event) => {
    const form = await event.request.formData();
    const id = formText(form, "id");
    const result = await authed<null>(event, `/api-keys/${encodeURIComponent(id)}`, {
      method: "DELETE",
      errorPage: false,
    });
    if (!result.ok) {
      const message =
        result.status === 404 ? "That key is already revoked, or it is not yours." : result.error.message;
      return fail(result.status, { revoke: { message } });
    }
    return { revoked: { name: formText(form, "name") } };
  },
};
