import { fail } from "@sveltejs/kit";
import { authed, formText } from "#lib/server/api.ts";
import { settingsProblems } from "#lib/server/settings.ts";
import type { WebhookEndpoint } from "#lib/types.ts";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = async (event) => {
  const result = await authed<{ items: WebhookEndpoint[] }>(event, "/webhook-endpoints");
  return {
    endpoints: result.ok ? result.data.items : [],
    problem: result.ok ? null : result.error.message,
    /** The URL of an endpoint just deleted on its own page, which sent the browser here. */
    deleted: event.url.searchParams.get("deleted"),
  };
};

export const actions: Actions = {
  /**
   * Register an endpoint. Its signing secret is in this answer only. The API's refusals (not https, a private
   * address, a malformed URL) come back under the field they concern, with what was typed.
   */
  create: async (event) => {
    const form = await event.request.formData();
    const values = {
      url: formText(form, "url"),
      events: form.getAll("events").filter((value): value is string => typeof value === "string"),
    };
    if (values.events.length === 0) {
      return fail(400, {
        create: {
          values,
          message: "Please correct the fields marked below.",
          fields: { events: "Choose at least one event." } as Record<string, string>,
        },
      });
    }
    const result = await authed<WebhookEndpoint & { secret: string }>(event, "/webhook-endpoints", {
      method: "POST",
      body: { url: values.url.trim(), events: values.events },
      errorPage: false,
    });
    if (!result.ok) return fail(result.status, { create: { values, ...settingsProblems(result.error) } });
    return { created: result.data };
  },
};
