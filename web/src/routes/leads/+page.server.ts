import { fail } from "@sveltejs/kit";
import { authed, formProblems, formText } from "#lib/server/api.ts";
import { withSourceLines } from "#lib/server/source.ts";
import {
  CATEGORIES,
  type LeadDetail,
  type LeadListItem,
  PRIORITIES,
  QUEUES,
  WORKFLOW_STATUSES,
} from "#lib/types.ts";
import type { Actions, PageServerLoad } from "./$types";

const FILTERS = {
  status: WORKFLOW_STATUSES,
  category: CATEGORIES,
  queue: QUEUES,
  priority: PRIORITIES,
} as const;
type FilterName = keyof typeof FILTERS;
const PAGE_SIZE = 20;

export const load: PageServerLoad = async (event) => {
  event.depends("app:leads");
  const filters: Partial<Record<FilterName, string>> = {};
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const [name, allowed] of Object.entries(FILTERS) as [FilterName, readonly string[]][]) {
    const value = event.url.searchParams.get(name);
    if (value && allowed.includes(value)) {
      filters[name] = value;
      query.set(name, value);
    }
  }
  const cursor = event.url.searchParams.get("cursor");
  if (cursor) query.set("cursor", cursor);

  const result = await authed<{ items: LeadListItem[]; next_cursor: string | null }>(
    event,
    `/leads?${query}`,
  );
  return {
    filters,
    cursor,
    items: result.ok ? withSourceLines(result.data.items) : [],
    nextCursor: result.ok ? result.data.next_cursor : null,
    problem: result.ok ? null : formProblems(result.error).message,
    now: Date.now(),
  };
};

export const actions: Actions = {
  /** Submit a lead; on a refusal the form comes back with what was typed and the API's field errors. */
  create: async (event) => {
    const form = await event.request.formData();
    const values = {
      name: formText(form, "name"),
      contact_channel: formText(form, "contact_channel"),
      contact: formText(form, "contact"),
      message: formText(form, "message"),
    };
    const result = await authed<LeadDetail>(event, "/leads", {
      method: "POST",
      errorPage: false,
      body: {
        name: values.name,
        contact_channel: values.contact_channel,
        message: values.message,
        contact: values.contact.trim() === "" ? null : values.contact,
      },
    });
    if (!result.ok) return fail(result.status, { create: { values, ...formProblems(result.error) } });
    return { created: { id: result.data.id, name: result.data.name } };
  },
};
