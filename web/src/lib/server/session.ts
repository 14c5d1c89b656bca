import type { RequestEvent } from "@sveltejs/kit";
import { ORIGIN, PROTOCOL_HEADER } from "$app/env/private";

export const SESSION_COOKIE = "leadflow_session";

/**
 * The cookie outlives the token by a day, so an expired token still reaches the API, which refuses it, and the
 * user is told their session expired rather than silently finding themselves signed out.
 */
const EXPIRED_NOTICE_SECONDS = 24 * 60 * 60;

/**
 * Whether the browser talks to us over https, as configured, never as a request claims: adapter-node takes the
 * protocol from the PROTOCOL_HEADER its proxy sets, or from a fixed ORIGIN; with neither it guesses https for
 * every request, so the answer is plain http. (An X-Forwarded-Proto the operator did not name is anyone's to send.)
 */
export function isHttps(event: RequestEvent): boolean {
  if (PROTOCOL_HEADER) return event.url.protocol === "https:";
  if (ORIGIN) return ORIGIN.startsWith("https:");
  return false;
}

/** The JWT lives only here: httpOnly (no script reads it), SameSite=Lax, Secure over https. */
export function startSession(event: RequestEvent, answer: { access_token: string; expires_in: number }) {
  event.cookies.set(SESSION_COOKIE, answer.access_token, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps(event),
    maxAge: answer.expires_in + EXPIRED_NOTICE_SECONDS,
  });
  event.locals.token = answer.access_token;
}

export function clearSession(event: RequestEvent) {
  event.cookies.delete(SESSION_COOKIE, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps(event),
  });
  event.locals.token = null;
}
