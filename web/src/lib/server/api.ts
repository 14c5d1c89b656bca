import type { RequestEvent } from "@sveltejs/kit";
import { error, redirect } from "@sveltejs/kit";
import { API_URL, FORWARDING_SECRET } from "$app/env/private";
import { DEFAULT_NEXT } from "../next-path.ts";
import type { ApiErrorBody } from "../types.ts";
import { clearSession } from "./session.ts";

export type ApiResult<T> =
  | { ok: true; status: number; data: T; error: null }
  | { ok: false; status: number; data: null; error: ApiErrorBody };

const TIMEOUT_MS = 15_000;

/**
 * One call to the leadflow API from the web server. Never throws: an unreachable API comes back as a 503 in
 * the API's own error envelope, so loads and actions handle every failure in one place.
 */
export async function apiRequest<T>(
  path: string,
  options: { method?: string; token?: string | null; body?: unknown; event?: RequestEvent } = {},
): Promise<ApiResult<T>> {
  const headers = apiHeaders({ accept: "application/json", token: options.token, event: options.event });
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`${API_URL}${path}`, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    return {
      ok: false,
      status: 503,
      data: null,
      error: {
        code: "service_unavailable",
        message: "The leadflow API cannot be reached right now. Try again in a moment.",
      },
    };
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (response.ok) return { ok: true, status: response.status, data: json as T, error: null };
  const body = (json as { error?: ApiErrorBody } | null)?.error;
  return {
    ok: false,
    status: response.status,
    data: null,
    error:
      body && typeof body.code === "string"
        ? body
        : { code: "internal", message: `The leadflow API answered with status ${response.status}.` },
  };
}

/** The headers of every call to the API: what it answers in, the user's token, and whose browser asks. */
export function apiHeaders(options: {
  accept: string;
  token?: string | null;
  event?: RequestEvent;
}): Record<string, string> {
  const headers: Record<string, string> = { accept: options.accept };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const client = options.event ? clientAddress(options.event) : null;
  // Every call comes from this server; the browser's address lets the API's per-address limits tell users apart
  // (the API believes it only with TRUST_PROXY, i.e. when only this server can reach it, or FORWARDING_SECRET).
  if (client) headers["x-forwarded-for"] = client;
  // Where the API cannot rely on TRUST_PROXY (its URL is public), this proves the address came from here.
  if (client && FORWARDING_SECRET) headers["x-leadflow-forwarding-secret"] = FORWARDING_SECRET;
  return headers;
}

function clientAddress(event: RequestEvent): string | null {
  try {
    return event.getClientAddress() || null;
  } catch {
    return null;
  }
}

/** Where to come back to after signing in: the page asked for, without a form action's `?/name`. */
function returnPath(event: RequestEvent): string {
  const search = event.url.search.startsWith("?/") ? "" : event.url.search;
  return event.url.pathname + search;
}

export function loginUrl(event: RequestEvent, reason?: "expired"): string {
  const params = new URLSearchParams();
  if (reason) params.set("reason", reason);
  const back = returnPath(event);
  if (back !== "/" && back !== DEFAULT_NEXT) params.set("next", back);
  const query = params.toString();
  return query ? `/login?${query}` : "/login";
}

/**
 * A call made for the signed-in user. No session: off to /login. A token the API refuses (expired, or signed
 * with another secret): the cookie is dropped and the user is sent to /login with a message. A server-side
 * failure of the API (5xx, 429) becomes an error page unless `errorPage: false` (form actions show it inline);
 * every other answer (404, 409, 400 ...) is the caller's to handle.
 */
export async function authed<T>(
  event: RequestEvent,
  path: string,
  options: { method?: string; body?: unknown; errorPage?: boolean } = {},
): Promise<ApiResult<T>> {
  const token = event.locals.token;
  if (!token) redirect(303, loginUrl(event));
  const result = await apiRequest<T>(path, { method: options.method, body: options.body, token, event });
  if (result.status === 401) {
    clearSession(event);
    redirect(303, loginUrl(event, "expired"));
  }
  if (options.errorPage !== false && !result.ok && (result.status >= 500 || result.status === 429)) {
    error(result.status, result.error.message);
  }
  return result;
}

/** Field problems from the API's `details`, keyed by field path, plus one sentence for the whole form. */
export function formProblems(apiError: ApiErrorBody): { message: string; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const detail of apiError.details ?? []) {
    const sentence = detail.message.charAt(0).toUpperCase() + detail.message.slice(1);
    const key = detail.path.split(".")[0] ?? "";
    if (!key || key === "(body)") general.push(sentence);
    else fields[key] = fields[key] ? `${fields[key]} ${sentence}` : sentence;
  }
  const message =
    apiError.code === "validation_failed"
      ? [Object.keys(fields).length ? "Please correct the fields marked below." : "", ...general]
          .filter(Boolean)
          .join(" ") || apiError.message
      : apiError.message;
  return { message, fields };
}

export const formText = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};
