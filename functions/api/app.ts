import { bodyLimit } from "hono/body-limit";
import { except } from "hono/combine";
import { secureHeaders } from "hono/secure-headers";
import type { ApiDeps } from "./context.ts";
import { openApiDocument } from "./document.ts";
import { errorResponse, onError } from "./errors.ts";
import { requestContext } from "./middleware/context.ts";
import { router } from "./router.ts";
import { apiKeyRoutes } from "./routes/api-keys.ts";
import { authRoutes } from "./routes/auth.ts";
import { channelRoutes } from "./routes/channels.ts";
import { docsRoutes } from "./routes/docs.ts";
import { eventStreamRoutes } from "./routes/events-stream.ts";
import { handlingRoutes } from "./routes/handling.ts";
import { healthRoutes } from "./routes/health.ts";
import { emailRoutes } from "./routes/inbound-email.ts";
import { webChatRoutes } from "./routes/inbound-webchat.ts";
import { whatsAppRoutes } from "./routes/inbound-whatsapp.ts";
import { inboxRoutes } from "./routes/inbox.ts";
import { leadRoutes } from "./routes/leads.ts";
import { statsRoutes } from "./routes/stats.ts";
import { webhookEndpointRoutes } from "./routes/webhook-endpoints.ts";
import { widgetRoutes } from "./routes/widget.ts";

export const MAX_BODY_BYTES = 64 * 1024;

const apiBodyLimit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) =>
    errorResponse(c, "payload_too_large", `The request body is larger than ${MAX_BODY_BYTES} bytes.`),
});

/**
 * The HTTP API: small routers composed here; handlers only translate HTTP to core calls. Every route is declared
 * with createRoute, so GET /openapi.json describes exactly what is mounted.
 */
export function createApp(deps: ApiDeps) {
  const app = router();
  const document = openApiDocument(app);
  return (
    app
      .use(requestContext(deps))
      // The widget sets its own, loadable from any site's page (functions/api/routes/widget.ts).
      .use(except("/widget.js", secureHeaders({ contentSecurityPolicy: undefined })))
      // Providers' deliveries (/inbound/…) have their own, larger limit (functions/api/inbound.ts).
      .use(except("/inbound/*", apiBodyLimit))
      .route("/", healthRoutes)
      .route("/", docsRoutes(document))
      .route("/auth", authRoutes)
      .route("/leads", leadRoutes)
      .route("/leads", handlingRoutes)
      .route("/inbox", inboxRoutes)
      .route("/webhook-endpoints", webhookEndpointRoutes)
      .route("/events", eventStreamRoutes)
      .route("/stats", statsRoutes)
      .route("/api-keys", apiKeyRoutes)
      .route("/channels", channelRoutes)
      .route("/inbound/whatsapp", whatsAppRoutes)
      .route("/inbound/email", emailRoutes)
      .route("/inbound/webchat", webChatRoutes)
      .route("/", widgetRoutes)
      .notFound((c) => errorResponse(c, "not_found", `No route for ${c.req.method} ${c.req.path}.`))
      .onError(onError)
  );
}

export type App = ReturnType<typeof createApp>;
