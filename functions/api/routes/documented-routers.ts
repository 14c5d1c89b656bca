import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";
import { eventStreamRoutes } from "./events-stream.ts";
import { handlingRoutes } from "./handling.ts";
import { inboxRoutes } from "./inbox.ts";
import { webhookEndpointRoutes } from "./webhook-endpoints.ts";

/**
 * The routers declared with createRoute, by where app.ts mounts them: their paths join the OpenAPI document from
 * the routes' own schemas (the routes written before them are described by hand in openapi.ts).
 */
export const DOCUMENTED_ROUTERS: [prefix: string, router: OpenAPIHono<AppEnv>][] = [
  ["/leads", handlingRoutes],
  ["/inbox", inboxRoutes],
  ["/webhook-endpoints", webhookEndpointRoutes],
  ["/events", eventStreamRoutes],
];

export function documentedPaths(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [prefix, router] of DOCUMENTED_ROUTERS) {
    const document = router.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "", version: "" } });
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      paths[`${prefix}${path === "/" ? "" : path}`] = item;
    }
  }
  return paths;
}
