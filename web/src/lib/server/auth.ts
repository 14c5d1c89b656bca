import type { RequestEvent } from "@sveltejs/kit";
import { fail, redirect } from "@sveltejs/kit";
import { safeNext } from "../next-path.ts";
import { apiRequest, formProblems, formText } from "./api.ts";
import { startSession } from "./session.ts";

interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
}

/** The login and signup actions: ask the API for a token, keep it in the cookie, go where the user was headed. */
export async function authAction(event: RequestEvent, path: "/auth/login" | "/auth/signup") {
  const form = await event.request.formData();
  const email = formText(form, "email");
  const password = formText(form, "password");
  const next = formText(form, "next");
  const result = await apiRequest<TokenAnswer>(path, { method: "POST", body: { email, password }, event });
  if (!result.ok) {
    const problems = formProblems(result.error);
    if (result.error.code === "email_taken") problems.fields.email = result.error.message;
    // The password is never sent back into the page.
    return fail(result.status, { email, next, ...problems });
  }
  startSession(event, result.data);
  redirect(303, safeNext(next, event.url.origin));
}
