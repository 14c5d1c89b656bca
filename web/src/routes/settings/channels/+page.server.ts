import { fail } from "@sveltejs/kit";
import { authed, formText } from "#lib/server/api.ts";
import { lineList, settingsProblems } from "#lib/server/settings.ts";
import { CHANNEL_TYPES, type Channel, type CreatedChannel } from "#lib/types.ts";
import type { Actions, PageServerLoad } from "./$types";

type ChannelType = (typeof CHANNEL_TYPES)[number];
const isType = (value: string | null): value is ChannelType =>
  (CHANNEL_TYPES as readonly string[]).includes(value ?? "");

export const load: PageServerLoad = async (event) => {
  const result = await authed<{ items: Channel[] }>(event, "/channels");
  const type = event.url.searchParams.get("type");
  return {
    channels: result.ok ? result.data.items : [],
    problem: result.ok ? null : result.error.message,
    /** Which type's form is open: `?type=`, WhatsApp by default. */
    type: isType(type) ? type : "whatsapp",
    /** The name of a channel just deleted on its own page, which sent the browser here. */
    deleted: event.url.searchParams.get("deleted"),
  };
};

/** The API's body for one type, from that type's form. */
function channelBody(type: ChannelType, form: FormData, origins: string[]) {
  const name = formText(form, "name");
  if (type === "whatsapp") {
    const settings = {
      verify_token: formText(form, "verify_token"),
      app_secret: formText(form, "app_secret"),
    };
    return { type, name, settings };
  }
  if (type === "webchat") return { type, name, settings: { allowed_origins: origins } };
  const provider = formText(form, "provider");
  return {
    type,
    name,
    settings:
      provider === "mailgun" ? { provider, signing_key: formText(form, "signing_key") } : { provider },
  };
}

export const actions: Actions = {
  /**
   * Connect a channel. What the API generated (a Postmark password, a web-chat key) is in this answer only. On a
   * refusal the form comes back with the name, the provider and the origins, never with a secret typed into it.
   */
  create: async (event) => {
    const form = await event.request.formData();
    const type = formText(form, "type");
    if (!isType(type)) {
      return fail(400, {
        create: {
          type: "whatsapp" as ChannelType,
          values: { name: "", provider: "postmark", allowed_origins: "" },
          message: "Choose what to connect: WhatsApp, Email or Web chat.",
          fields: {} as Record<string, string>,
        },
      });
    }
    const values = {
      name: formText(form, "name"),
      provider: formText(form, "provider") || "postmark",
      allowed_origins: formText(form, "allowed_origins"),
    };
    const origins = lineList(values.allowed_origins);
    if (type === "webchat" && origins.length === 0) {
      return fail(400, {
        create: {
          type,
          values,
          message: "Please correct the fields marked below.",
          fields: { allowed_origins: "Enter at least one origin, such as https://shop.example." },
        },
      });
    }
    const result = await authed<CreatedChannel>(event, "/channels", {
      method: "POST",
      body: channelBody(type, form, origins),
      errorPage: false,
    });
    if (!result.ok) {
      const problems = settingsProblems(result.error, { allowed_origins: origins });
      return fail(result.status, { create: { type, values, ...problems } });
    }
    return { created: result.data };
  },
};
