import { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "./context.ts";
import { validationFailed } from "./validation.ts";

/**
 * A router whose routes are declared with createRoute and registered with `.openapi()`: the declaration validates
 * the request and is the route's entry in GET /openapi.json. Compose routers with `.route()` as Hono's own.
 */
export const router = () => new OpenAPIHono<AppEnv>({ defaultHook: validationFailed });

/**
 * The path parameter of a route about one of the caller's things (a lead, a key, a channel, an endpoint). An id
 * that is not a uuid names nothing of the caller's: the defaultHook answers 404, as for another user's.
 */
export const idParams = z.object({ id: z.uuid() });

/** As idParams, for a provider's delivery addressed to a channel by its id (/inbound/…/:channelId). */
export const channelIdParams = z.object({ channelId: z.uuid() });
