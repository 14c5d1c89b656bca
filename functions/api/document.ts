import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./context.ts";

/** What the document says of the API as a whole; the paths come from the routes' own declarations. */
const DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "leadflow API",
    version: "1.0.0",
    description:
      "Submit inbound leads and follow their AI triage workflow (classify → extract → route). Errors are " +
      "`{error: {code, message, details?}}`; each operation lists the codes each of its statuses can carry.",
    license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
  },
  servers: [{ url: "/", description: "The server that serves this document." }],
  tags: [
    { name: "auth", description: "Accounts and bearer tokens." },
    { name: "leads", description: "Leads, their workflows, and the overview's aggregates." },
    { name: "api-keys", description: "Machine clients' keys (a signed-in person's session only)." },
    { name: "channels", description: "Channel connections and their deliveries (a session only)." },
    {
      name: "inbound",
      description: "Where providers and the web-chat widget deliver messages that become leads.",
    },
    {
      name: "handling",
      description: "People working the queues: handling, corrections, the inbox, live changes.",
    },
    { name: "webhooks", description: "Outbound webhook endpoints and their deliveries." },
    { name: "operations", description: "Health, readiness, metrics, and this document." },
  ],
};

/**
 * The OpenAPI 3.1 document of `app`, built on first use (not at import: start-up and a Lambda cold start do not
 * pay for it) from every route registered with `.openapi()` in it and in the routers it mounts.
 */
export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "The access_token from POST /auth/signup or POST /auth/login, or an API key (`lf_…`, POST /api-keys) where " +
      "a machine client may act (/leads, /stats).",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "metricsToken", {
    type: "http",
    scheme: "bearer",
    description: "METRICS_TOKEN, where the deployment sets one.",
  });
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  return () => {
    document ??= app.getOpenAPI31Document(DOCUMENT);
    return document;
  };
}
