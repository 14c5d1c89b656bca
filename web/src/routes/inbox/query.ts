import { HANDLING_STATES, type HandlingState, type InboxItem, QUEUES } from "#lib/types.ts";

/** An inbox item as the page shows it: with where it came in, formatted by the server (lib/server/source.ts). */
export type InboxEntry = InboxItem & { source_line: string | null };

/** The inbox's tabs past "All queues": each routing queue, then failed triage nobody has routed by hand. */
export const INBOX_QUEUES = [...QUEUES, "failed"] as const;
export type InboxQueue = (typeof INBOX_QUEUES)[number];

/** What the inbox shows, all of it in the URL (so links and reloads keep it): a tab, a handling state, a page. */
export interface InboxView {
  /** null: every queue. */
  queue: InboxQueue | null;
  state: HandlingState;
  cursor: string | null;
}

const oneOf = <T extends string>(allowed: readonly T[], value: string | null): T | null =>
  value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : null;

/** The view a URL asks for; a value the inbox does not know is ignored, as the lead list's filters are. */
export function inboxView(url: URL): InboxView {
  return {
    queue: oneOf(INBOX_QUEUES, url.searchParams.get("queue")),
    state: oneOf(HANDLING_STATES, url.searchParams.get("state")) ?? "open",
    cursor: url.searchParams.get("cursor") || null,
  };
}

function search(view: Partial<InboxView>): string {
  const params = new URLSearchParams();
  if (view.queue) params.set("queue", view.queue);
  if (view.state && view.state !== "open") params.set("state", view.state);
  if (view.cursor) params.set("cursor", view.cursor);
  return params.toString();
}

/** The inbox's URL for a view; `open` and every queue are the defaults, left out. */
export function inboxHref(view: Partial<InboxView>): string {
  const query = search(view);
  return query ? `/inbox?${query}` : "/inbox";
}

/**
 * A form action's URL that keeps the view: without JavaScript the answer is this page again, on the same tab,
 * state and page (a bare `?/name` would drop them).
 */
export function actionHref(view: InboxView, action: "handle" | "correct"): string {
  const query = search(view);
  return query ? `?${query}&/${action}` : `?/${action}`;
}
