import { fail } from "@sveltejs/kit";
import { authed, formProblems, formText } from "#lib/server/api.ts";
import { withSourceLines } from "#lib/server/source.ts";
import { type Correction, HANDLING_STATES, type InboxItem, type LeadDetail } from "#lib/types.ts";
import { ROUTING_CHOICES, readCorrection } from "../leads/[id]/correction.server.ts";
import { orderedChanges } from "../leads/[id]/correction.ts";
import type { Actions, PageServerLoad } from "./$types";
import { inboxView } from "./query.ts";

const PAGE_SIZE = 20;

export const load: PageServerLoad = async (event) => {
  event.depends("app:inbox");
  const view = inboxView(event.url);
  const query = new URLSearchParams({ state: view.state, limit: String(PAGE_SIZE) });
  if (view.queue) query.set("queue", view.queue);
  if (view.cursor) query.set("cursor", view.cursor);
  const result = await authed<{ items: InboxItem[]; next_cursor: string | null }>(event, `/inbox?${query}`);
  return {
    view,
    items: result.ok ? withSourceLines(result.data.items) : [],
    nextCursor: result.ok ? result.data.next_cursor : null,
    problem: result.ok ? null : formProblems(result.error).message,
    choices: ROUTING_CHOICES,
    now: Date.now(),
  };
};

const leadPath = (id: string, action: "handling" | "corrections") =>
  `/leads/${encodeURIComponent(id)}/${action}`;

export const actions: Actions = {
  /** One click: answered, closed or open again. `from` is where it was, for the notice's Undo. */
  handle: async (event) => {
    const form = await event.request.formData();
    const id = formText(form, "id");
    const from = HANDLING_STATES.find((s) => s === formText(form, "from")) ?? null;
    const result = await authed<LeadDetail>(event, leadPath(id, "handling"), {
      method: "POST",
      errorPage: false,
      body: { state: formText(form, "state") },
    });
    if (!result.ok)
      return fail(result.status, { handle: { id, message: formProblems(result.error).message } });
    return { handled: { id, name: result.data.name, from, to: result.data.handling.state } };
  },

  /** A quick correction of the queue, the priority and, to fit the priority's window, the SLA. */
  correct: async (event) => {
    const form = await event.request.formData();
    const id = formText(form, "id");
    // The lead page's reading of a correction form: what was chosen goes to the API, which judges it.
    const { values, body, fields } = readCorrection(form);
    if (Object.keys(fields).length > 0) {
      return fail(400, {
        correct: { id, values, message: "Please correct the fields marked below.", fields },
      });
    }
    const result = await authed<Correction>(event, leadPath(id, "corrections"), {
      method: "POST",
      errorPage: false,
      body,
    });
    if (!result.ok) return fail(result.status, { correct: { id, values, ...formProblems(result.error) } });
    return { corrected: { id, name: formText(form, "name"), changes: orderedChanges(result.data.changes) } };
  },
};
