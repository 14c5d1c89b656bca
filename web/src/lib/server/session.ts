import type { RequestEvent } from "@sveltejs/kit";
import { PROTOCOL_HEADER } from "$app/env/private";

export const SESSION_COOKIE = "leadflow_session";

/**
 * The cookie outlives the token by a day, so an expired token still reaches the API, which refuses it, and the
 * user is told their session expired rather than silently finding themselves signed out.
 */
const EXPIRED_NOTICE_SECONDS = 24 * 60 * 60;

/**
 * adapter-node only knows the protocol through a proxy header: when PROTOCOL_HEADER is configured the request URL
 * is trustworthy; otherwise a TLS-terminating proxy's X-Forwarded-Proto says so, and a bare request is plain http.
 */
export function isHttps(event: RequestEvent): boolean {
  if (PROTOCOL_HEADER) return event.url.protocol === "https:";
  const forwarded = event.request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return forwarded === "https";
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

/** Only a path on this site, so `next` can never send someone elsewhere after signing in. */
export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/leads";
  return next;
}
