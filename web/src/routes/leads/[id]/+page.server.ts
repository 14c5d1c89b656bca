import { HANDLING_STATES } from "@leadflow/core/schemas/handling";
import { error, fail } from "@sveltejs/kit";
import { authed, formProblems, formText } from "#lib/server/api.ts";
import { sourceLine } from "#lib/server/source.ts";
import type { Attempt, Correction, LeadDetail, LeadEvent } from "#lib/types.ts";
import type { Actions, PageServerLoad } from "./$types";
import { ROUTING_CHOICES, readCorrection } from "./correction.server.ts";
import { orderedChanges } from "./correction.ts";

export const load: PageServerLoad = async (event) => {
  event.depends("app:lead");
  const id = encodeURIComponent(event.params.id);
  const [lead, attempts, events] = await Promise.all([
    authed<LeadDetail>(event, `/leads/${id}`),
    authed<{ items: Attempt[] }>(event, `/leads/${id}/attempts`),
    authed<{ items: LeadEvent[] }>(event, `/leads/${id}/events`),
  ]);
  // Another user's lead and a lead that never existed look the same: not found.
  if (lead.status === 404)
    error(404, "No such lead. It may belong to another account, or the link is wrong.");
  if (!lead.ok) error(lead.status, lead.error.message);
  return {
    lead: lead.data,
    sourceLine: sourceLine(lead.data.source),
    attempts: attempts.ok ? attempts.data.items : [],
    events: events.ok ? events.data.items : [],
    choices: ROUTING_CHOICES,
    now: Date.now(),
  };
};

const leadPath = (id: string, rest: string) => `/leads/${encodeURIComponent(id)}/${rest}`;

export const actions: Actions = {
  /** Resume a failed workflow from its failed step. */
  retry: async (event) => {
    const result = await authed<LeadDetail>(event, leadPath(event.params.id, "retry"), {
      method: "POST",
      errorPage: false,
    });
    if (!result.ok) return fail(result.status, { retry: { message: result.error.message } });
    return { retried: true };
  },

  /** Answered, Close or Reopen: the button pressed names the state. */
  handling: async (event) => {
    const state = formText(await event.request.formData(), "state");
    if (!(HANDLING_STATES as readonly string[]).includes(state)) {
      return fail(400, { handling: { message: "Choose Answered, Close or Reopen." } });
    }
    const result = await authed<LeadDetail>(event, leadPath(event.params.id, "handling"), {
      method: "POST",
      errorPage: false,
      body: { state },
    });
    if (!result.ok) return fail(result.status, { handling: { message: result.error.message } });
    return { handled: result.data.handling.state };
  },

  /** Overrule the AI's routing (or route a failed lead by hand); refusals come back inline with what was typed. */
  correct: async (event) => {
    const { values, body, fields } = readCorrection(await event.request.formData());
    if (Object.keys(fields).length > 0) {
      return fail(400, { correct: { values, message: "Please correct the fields marked below.", fields } });
    }
    const result = await authed<Correction>(event, leadPath(event.params.id, "corrections"), {
      method: "POST",
      errorPage: false,
      body,
    });
    if (!result.ok) return fail(result.status, { correct: { values, ...formProblems(result.error) } });
    return { corrected: orderedChanges(result.data.changes).map(([field]) => field) };
  },
};
