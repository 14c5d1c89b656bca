import { fail } from "@sveltejs/kit";
import { authed, formProblems, formText } from "#lib/server/api.ts";
import { type Correction, HANDLING_STATES, type InboxItem, type LeadDetail } from "#lib/types.ts";
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
    items: result.ok ? result.data.items : [],
    nextCursor: result.ok ? result.data.next_cursor : null,
    problem: result.ok ? null : formProblems(result.error).message,
    now: Date.now(),
  };
};

const leadPath = (id: string, action: "handling" | "corrections") =>
  `/leads/${encodeURIComponent(id)}/${action}`;

/** Whole minutes as typed, or undefined when left empty (the SLA then stays as it is). */
function slaMinutes(text: string): number | undefined | null {
  if (text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isInteger(value) ? value : null;
}

export const actions: Actions = {
  /** One click: answered, closed or open again. `from` is where it was, for the notice's Undo. */
  handle: async (event) => {
    const form = await event.request.formData();
    const id = formText(form, "id");
    const state = formText(form, "state");
    const from = HANDLING_STATES.find((s) => s === formText(form, "from")) ?? null;
    const result = await authed<LeadDetail>(event, leadPath(id, "handling"), {
      method: "POST",
      errorPage: false,
      body: { state },
    });
    if (!result.ok)
      return fail(result.status, { handle: { id, message: formProblems(result.error).message } });
    return { handled: { id, name: result.data.name, from, to: result.data.handling.state } };
  },

  /** A quick correction of the queue, the priority and, to fit the priority's window, the SLA. */
  correct: async (event) => {
    const form = await event.request.formData();
    const id = formText(form, "id");
    const values = {
      queue: formText(form, "queue"),
      priority: formText(form, "priority"),
      sla_minutes: formText(form, "sla_minutes"),
      reason: formText(form, "reason"),
    };
    const sla = slaMinutes(values.sla_minutes);
    if (sla === null) {
      return fail(400, {
        correct: {
          id,
          values,
          message: "Please correct the fields marked below.",
          fields: { sla_minutes: "Enter whole minutes, such as 60, or leave it empty." } as Record<
            string,
            string
          >,
        },
      });
    }
    // Empty selects mean "not set" (a failed lead has no queue); values already in place are left out by the API.
    const result = await authed<Correction>(event, leadPath(id, "corrections"), {
      method: "POST",
      errorPage: false,
      body: {
        reason: values.reason,
        ...(values.queue ? { queue: values.queue } : {}),
        ...(values.priority ? { priority: values.priority } : {}),
        ...(sla === undefined ? {} : { sla_minutes: sla }),
      },
    });
    if (!result.ok) return fail(result.status, { correct: { id, values, ...formProblems(result.error) } });
    return { corrected: { id, name: formText(form, "name"), changes: result.data.changes } };
  },
};
