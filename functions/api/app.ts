import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import type { ApiDeps, AppEnv } from "./env.ts";
import { errorResponse, onError } from "./errors.ts";
import { requestContext } from "./middleware/context.ts";
import { authRoutes } from "./routes/auth.ts";
import { docsRoutes } from "./routes/docs.ts";
import { eventStreamRoutes } from "./routes/events-stream.ts";
import { handlingRoutes } from "./routes/handling.ts";
import { healthRoutes } from "./routes/health.ts";
import { inboxRoutes } from "./routes/inbox.ts";
import { leadRoutes } from "./routes/leads.ts";
import { statsRoutes } from "./routes/stats.ts";
import { webhookEndpointRoutes } from "./routes/webhook-endpoints.ts";

export const MAX_BODY_BYTES = 64 * 1024;

/** The HTTP API: small routers composed here; handlers only translate HTTP to core calls. */
export function createApp(deps: ApiDeps) {
  return (
    new Hono<AppEnv>()
      .use(requestContext(deps))
      .use(secureHeaders({ contentSecurityPolicy: undefined }))
      .use(
        bodyLimit({
          maxSize: MAX_BODY_BYTES,
          onError: (c) =>
            errorResponse(c, "payload_too_large", `The request body is larger than ${MAX_BODY_BYTES} bytes.`),
        }),
      )
      .route("/", healthRoutes)
      .route("/", docsRoutes)
      .route("/auth", authRoutes)
      .route("/leads", leadRoutes)
      // Working the queues (createRoute + OpenAPIHono routers).
      .route("/leads", handlingRoutes)
      .route("/inbox", inboxRoutes)
      .route("/webhook-endpoints", webhookEndpointRoutes)
      .route("/events", eventStreamRoutes)
      .route("/stats", statsRoutes)
      .notFound((c) => errorResponse(c, "not_found", `No route for ${c.req.method} ${c.req.path}.`))
      .onError(onError)
  );
}

export type App = ReturnType<typeof createApp>;
