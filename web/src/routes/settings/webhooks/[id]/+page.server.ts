import { error, fail, redirect } from "@sveltejs/kit";
import { authed, formText } from "#lib/server/api.ts";
import type { WebhookDelivery, WebhookEndpoint } from "#lib/types.ts";
import type { Actions, PageServerLoad, RequestEvent } from "./$types";

const NOT_FOUND =
  "No such webhook endpoint. It may have been deleted, belong to another account, or the link is wrong.";

export const load: PageServerLoad = async (event) => {
  event.depends("app:webhook");
  // The API lists endpoints but has no single-endpoint read: the endpoint is found in the list.
  const [endpoints, deliveries] = await Promise.all([
    authed<{ items: WebhookEndpoint[] }>(event, "/webhook-endpoints"),
    authed<{ items: WebhookDelivery[] }>(event, `${endpointPath(event)}/deliveries`),
  ]);
  if (deliveries.status === 404) error(404, NOT_FOUND);
  if (!endpoints.ok) error(endpoints.status, endpoints.error.message);
  if (!deliveries.ok) error(deliveries.status, deliveries.error.message);
  const endpoint = endpoints.data.items.find((item) => item.id === event.params.id);
  if (!endpoint) error(404, NOT_FOUND);
  return { endpoint, deliveries: deliveries.data.items, now: Date.now() };
};

const endpointPath = (event: RequestEvent) => `/webhook-endpoints/${encodeURIComponent(event.params.id)}`;

/** A POST that queues a try (a ping, a resend); the page then follows it in the deliveries. */
async function queue(event: RequestEvent, path: string, kind: "ping" | "resend") {
  const result = await authed<{ delivery_id: string }>(event, path, { method: "POST", errorPage: false });
  if (!result.ok) return fail(result.status, { refused: { message: result.error.message } });
  return { queued: { kind, delivery_id: result.data.delivery_id } };
}

export const actions: Actions = {
  ping: (event) => queue(event, `${endpointPath(event)}/test`, "ping"),

  /** The delivery again from its first try, with the same webhook-id and body. */
  resend: async (event) => {
    const id = formText(await event.request.formData(), "delivery_id");
    return queue(event, `${endpointPath(event)}/deliveries/${encodeURIComponent(id)}/resend`, "resend");
  },

  delete: async (event) => {
    const url = formText(await event.request.formData(), "url");
    const result = await authed<null>(event, endpointPath(event), { method: "DELETE", errorPage: false });
    if (!result.ok && result.status !== 404) {
      return fail(result.status, { delete: { message: result.error.message } });
    }
    redirect(303, `/settings/webhooks?${new URLSearchParams({ deleted: url || "the endpoint" })}`);
  },
};
