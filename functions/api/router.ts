import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./context.ts";
import { validationFailed } from "./validation.ts";

/**
 * A router whose routes are declared with createRoute and registered with `.openapi()`: the declaration validates
 * the request and is the route's entry in GET /openapi.json. Compose routers with `.route()` as Hono's own.
 */
export const router = () => new OpenAPIHono<AppEnv>({ defaultHook: validationFailed });
