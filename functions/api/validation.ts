import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { ZodType } from "zod";
import { errorResponse, zodDetails } from "./errors.ts";

/** zod validation whose failures answer in our envelope, with every field path. */
export const validate = <Target extends keyof ValidationTargets, Schema extends ZodType>(
  target: Target,
  schema: Schema,
) =>
  zValidator(target, schema, (result, c) => {
    if (!result.success) {
      return errorResponse(
        c,
        "validation_failed",
        "The request is invalid.",
        zodDetails(result.error as never),
      );
    }
  });
