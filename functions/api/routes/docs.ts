import { createRoute } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { z } from "zod";
import { PUBLIC } from "../responses.ts";
import { router } from "../router.ts";

const openapiJson = createRoute({
  method: "get",
  path: "/openapi.json",
  operationId: "getOpenApiDocument",
  summary: "This document (OpenAPI 3.1)",
  tags: ["operations"],
  ...PUBLIC,
  responses: {
    200: {
      description: "The document.",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
    },
  },
});

const reference = createRoute({
  method: "get",
  path: "/docs",
  operationId: "getApiReference",
  summary: "The interactive API reference, reading /openapi.json",
  tags: ["operations"],
  ...PUBLIC,
  responses: { 200: { description: "An HTML page.", content: { "text/html": { schema: z.string() } } } },
});

/** The API's own document and its reference page; `document` is the whole app's, built once. */
export function docsRoutes(document: () => object) {
  const docs = router().openapi(openapiJson, (c) => c.json(document() as Record<string, unknown>, 200));
  // Scalar's handler writes the page itself, so the route is declared for the document and served by Hono's get.
  docs.openAPIRegistry.registerPath(reference);
  return docs.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "leadflow API" }));
}
