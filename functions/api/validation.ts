import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "./context.ts";
import { errorResponse, zodDetails } from "./errors.ts";

/**
 * Every router's defaultHook: a request that fails its route's zod schemas answers 400 `validation_failed` with
 * each field path and problem, the envelope the API has always given. A path parameter that fails (a lead id that
 * is not a uuid) names nothing the caller has: 404 `not_found`, the same answer as another user's lead.
 */
export const validationFailed: Hook<unknown, AppEnv, string, Response | undefined> = (result, c) => {
  if (result.success) return undefined;
  if (result.target === "param") return errorResponse(c, "not_found", "No such resource.");
  return errorResponse(c, "validation_failed", "The request is invalid.", zodDetails(result.error as never));
};
