import { error, fail, redirect } from "@sveltejs/kit";
import { authed, formText } from "#lib/server/api.ts";
import type { Channel, ChannelDelivery } from "#lib/types.ts";
import type { Actions, PageServerLoad } from "./$types";

const NOT_FOUND =
  "No such channel. It may have been deleted, belong to another account, or the link is wrong.";

export const load: PageServerLoad = async (event) => {
  event.depends("app:channel");
  const id = encodeURIComponent(event.params.id);
  // The API lists channels but has no single-channel read: the channel is found in the list.
  const [channels, deliveries] = await Promise.all([
    authed<{ items: Channel[] }>(event, "/channels"),
    authed<{ items: ChannelDelivery[] }>(event, `/channels/${id}/deliveries`),
  ]);
  if (deliveries.status === 404) error(404, NOT_FOUND);
  if (!channels.ok) error(channels.status, channels.error.message);
  if (!deliveries.ok) error(deliveries.status, deliveries.error.message);
  const channel = channels.data.items.find((item) => item.id === event.params.id);
  if (!channel) error(404, NOT_FOUND);
  return { channel, deliveries: deliveries.data.items };
};

export const actions: Actions = {
  /** Delete the channel, then say so on the list: its inbound URL answers 404 from now on. */
  delete: async (event) => {
    const name = formText(await event.request.formData(), "name");
    const result = await authed<null>(event, `/channels/${encodeURIComponent(event.params.id)}`, {
      method: "DELETE",
      errorPage: false,
    });
    if (!result.ok && result.status !== 404)
      return fail(result.status, { delete: { message: result.error.message } });
    redirect(303, `/settings/channels?${new URLSearchParams({ deleted: name || "the channel" })}`);
  },
};
