import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { openApiDocument } from "../openapi.ts";
import { apiKeyRoutes } from "./api-keys.ts";
import { channelRoutes } from "./channels.ts";
import { emailRoutes } from "./inbound-email.ts";
import { webChatRoutes } from "./inbound-webchat.ts";
import { whatsAppRoutes } from "./inbound-whatsapp.ts";
import { widgetRoutes } from "./widget.ts";

/** Routers declared with @hono/zod-openapi: their paths join the hand-written document. */
const declaredRouters = [
  apiKeyRoutes,
  channelRoutes,
  whatsAppRoutes,
  emailRoutes,
  webChatRoutes,
  widgetRoutes,
];

function buildDocument() {
  const base = openApiDocument();
  const paths: Record<string, unknown> = { ...base.paths };
  const schemas: Record<string, unknown> = {};
  for (const router of declaredRouters) {
    const declared = router.getOpenAPI31Document({ openapi: "3.1.0", info: base.info });
    Object.assign(paths, declared.paths);
    Object.assign(schemas, declared.components?.schemas);
  }
  return { ...base, components: { ...base.components, schemas }, paths };
}

// Built on first request, not at import: start-up stays fast and a Lambda cold start does not pay for it.
let document: ReturnType<typeof buildDocument> | undefined;
const cachedDocument = () => {
  document ??= buildDocument();
  return document;
};

export const docsRoutes = new Hono<AppEnv>()
  .get("/openapi.json", (c) => c.json(cachedDocument()))
  .get("/docs", Scalar({ url: "/openapi.json", pageTitle: "leadflow API" }));
