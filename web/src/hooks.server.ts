import type { RequestEvent } from "@sveltejs/kit";
import type { Handle } from "@sveltejs/kit/hooks";
import { isHttps, SESSION_COOKIE } from "#lib/server/session.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cross-site request forgery guard for every form action: the browser's Origin must name this host. (SvelteKit's
 * built-in check is switched off in vite.config.ts because it compares protocols adapter-node cannot know.)
 */
function isCrossSite(event: RequestEvent): boolean {
  if (SAFE_METHODS.has(event.request.method)) return false;
  const origin = event.request.headers.get("origin");
  if (!origin) return true;
  try {
    return new URL(origin).host !== event.url.host;
  } catch {
    return true;
  }
}

export const handle: Handle = async ({ event, resolve }) => {
  if (isCrossSite(event)) {
    return new Response("Cross-site form submissions are forbidden.", {
      status: 403,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  event.locals.token = event.cookies.get(SESSION_COOKIE) || null;
  const response = await resolve(event);
  try {
    response.headers.set("x-content-type-options", "nosniff");
    response.headers.set("referrer-policy", "same-origin");
    // Over https, the browser keeps to https for a year: no first plain-http request for anyone to intercept.
    if (isHttps(event)) response.headers.set("strict-transport-security", "max-age=31536000");
    // Pages carry the user's data: never from a shared cache.
    if (response.headers.get("content-type")?.startsWith("text/html")) {
      response.headers.set("cache-control", "private, no-store");
    }
  } catch {
    // Some responses (static files) have immutable headers; they need none of these.
  }
  return response;
};
