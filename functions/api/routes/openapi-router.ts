import { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { errorResponse, zodDetails } from "../errors.ts";

/**
 * A router whose routes are declared with createRoute, so each is validated and documented from one zod schema.
 * Invalid input answers in our envelope; an id in the path that is not a uuid names nothing of the caller's, so
 * it is the same 404 as any other id they cannot see.
 */
export const openApiRouter = () =>
  new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      if (result.target === "param") return errorResponse(c, "not_found", "No such resource.");
      return errorResponse(c, "validation_failed", "The request is invalid.", zodDetails(result.error));
    },
  });

export const apiErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** Error answers for a route's `responses`, each `[status, description naming its codes]`. */
export const errorAnswers = (...answers: [number, string][]) =>
  Object.fromEntries(
    answers.map(([status, description]) => [
      status,
      { description, content: { "application/json": { schema: apiErrorSchema } } },
    ]),
  );

export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonAnswer = <S extends z.ZodType>(description: string, schema: S) => ({
  description,
  content: { "application/json": { schema } },
});

export const securedRoute = { security: [{ bearer: [] }] };
export const idParams = z.object({ id: z.uuid() });
