import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "./env.ts";
import { errorResponse, zodDetails } from "./errors.ts";

/**
 * A router whose routes are declared with their contract (createRoute): its validation failures answer in our
 * envelope with every field path, and its paths join the OpenAPI document (functions/api/routes/docs.ts).
 */
export const openApiRouter = () =>
  new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return errorResponse(
          c,
          "validation_failed",
          "The request is invalid.",
          zodDetails(result.error as never),
        );
      }
    },
  });

const apiError = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("ApiError");

/** Error answers for a route's `responses`: each status with what its codes mean. */
export const errorAnswers = (answers: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(answers).map(([status, description]) => [
      status,
      { description, content: { "application/json": { schema: apiError } } },
    ]),
  );

export const json = <S extends z.ZodType>(schema: S) => ({ "application/json": { schema } });

export const bearerSecurity = [{ bearer: [] }];

/** Whether a path id can name a row at all: one that cannot is the same 404 as another user's, never a 400. */
export const isUuid = (id: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
