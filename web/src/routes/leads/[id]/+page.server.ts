import { error, fail } from "@sveltejs/kit";
import { authed } from "#lib/server/api.ts";
import type { Attempt, LeadDetail } from "#lib/types.ts";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = async (event) => {
  event.depends("app:lead");
  const id = encodeURIComponent(event.params.id);
  const [lead, attempts] = await Promise.all([
    authed<LeadDetail>(event, `/leads/${id}`),
    authed<{ items: Attempt[] }>(event, `/leads/${id}/attempts`),
  ]);
  // Another user's lead and a lead that never existed look the same: not found.
  if (lead.status === 404)
    error(404, "No such lead. It may belong to another account, or the link is wrong.");
  if (!lead.ok) error(lead.status, lead.error.message);
  return {
    lead: lead.data,
    attempts: attempts.ok ? attempts.data.items : [],
    now: Date.now(),
  };
};

export const actions: Actions = {
  /** Resume a failed workflow from its failed step. */
  retry: async (event) => {
    const result = await authed<LeadDetail>(event, `/leads/${encodeURIComponent(event.params.id)}/retry`, {
      method: "POST",
      errorPage: false,
    });
    if (!result.ok) return fail(result.status, { retry: { message: result.error.message } });
    return { retried: true };
  },
};
