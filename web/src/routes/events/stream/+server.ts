import { apiHeaders } from "#lib/server/api.ts";
import { API_URL, LIVE_UPDATES } from "$app/env/private";
import type { RequestHandler } from "./$types";

/** How long the API may take to answer before the browser is told the stream cannot run now. */
const CONNECT_TIMEOUT_MS = 15_000;

const refuse = (status: number, message: string) =>
  new Response(message, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });

/**
 * The browser's live updates (lib/live.svelte.ts): the API's GET /events/stream relayed as it comes, opened from
 * this server with the signed-in user's token, which never reaches the browser. The API sends only that user's
 * changes. When the browser goes away, SvelteKit aborts the request's signal and cancels the body, and either
 * ends the upstream request, so the API drops its subscription at once. A refusal here (any status but 200) makes
 * the browser's EventSource give up, and the page falls back to polling.
 */
export const GET: RequestHandler = async (event) => {
  if (LIVE_UPDATES === "poll") {
    return refuse(
      503,
      "Live updates are polled here (LIVE_UPDATES=poll): this host cannot hold a stream open.",
    );
  }
  const token = event.locals.token;
  if (!token) return refuse(401, "Sign in to follow your leads live.");
  const connecting = new AbortController();
  const timer = setTimeout(() => connecting.abort(), CONNECT_TIMEOUT_MS);
  let upstream: Response;
  try {
    upstream = await fetch(`${API_URL}/events/stream`, {
      headers: apiHeaders({ accept: "text/event-stream", token, event }),
      signal: AbortSignal.any([event.request.signal, connecting.signal]),
    });
  } catch {
    return refuse(503, "The leadflow API cannot be reached right now.");
  } finally {
    clearTimeout(timer);
  }
  if (!upstream.ok || !upstream.body) {
    await upstream.body?.cancel();
    // A refused token is the page's to handle: its next load sends the user to sign in again, with a message.
    return upstream.status === 401
      ? refuse(401, "Your session has expired.")
      : refuse(502, `The leadflow API answered the event stream with status ${upstream.status}.`);
  }
  return new Response(upstream.body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      // Proxies such as nginx would otherwise hold the events back to fill a buffer.
      "x-accel-buffering": "no",
    },
  });
};
