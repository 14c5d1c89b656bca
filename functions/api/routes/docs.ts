import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { openApiDocument } from "../openapi.ts";

// Built on first request, not at import: start-up stays fast and a Lambda cold start does not pay for it.
let document: ReturnType<typeof openApiDocument> | undefined;
const cachedDocument = () => {
  document ??= openApiDocument();
  return document;
};

export const docsRoutes = new Hono<AppEnv>()
  .get("/openapi.json", (c) => c.json(cachedDocument()))
  .get("/docs", Scalar({ url: "/openapi.json", pageTitle: "leadflow API" }));
