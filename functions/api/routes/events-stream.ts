import { $, createRoute } from "@hono/zod-openapi";
import { type LeadChange, leadChangeHub } from "@leadflow/core/live/lead-changes";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { requireUser } from "../middleware/auth.ts";
import { errorAnswers, SIGNED_IN, SIGNED_IN_ERRORS } from "../responses.ts";
import { router } from "../router.ts";

/** A comment line this often keeps proxies from closing an idle stream. */
export const KEEP_ALIVE_MS = 15_000;
/**
 * Changes one stream may hold unsent. A client that falls this far behind is dropped, not buffered for without
 * bound; when it reconnects it reloads what it shows, which the tables hold, so it misses nothing.
 */
export const MAX_UNSENT_CHANGES = 256;

const streamRoute = createRoute({
  method: "get",
  path: "/stream",
  operationId: "streamLeadChanges",
  tags: ["handling"],
  summary:
    "Server-sent events: `lead` {id, status, handling_state} whenever one of the caller's leads changes",
  description:
    "Fed by PostgreSQL LISTEN/NOTIFY; a comment line every 15 s keeps proxies from closing it. A client too slow " +
    "to keep up is disconnected; after reconnecting it should reload what it shows.",
  ...SIGNED_IN,
  responses: {
    200: { description: "The stream.", content: { "text/event-stream": { schema: z.string() } } },
    ...errorAnswers(...SIGNED_IN_ERRORS),
  },
});

const liveChanges = $(router().use(requireUser));
// streamSSE writes the answer itself, which `.openapi()`'s typed handlers do not allow: the route is declared for
// the document and served by Hono's get, as /docs is.
liveChanges.openAPIRegistry.registerPath(streamRoute);

export const eventStreamRoutes = liveChanges.get("/stream", (c) => {
  const { config } = c.var.deps;
  const hub = leadChangeHub(config.DATABASE_APP_URL ?? config.DATABASE_URL, (err) =>
    c.var.log.warn({ err }, "lead change listener"),
  );
  const userId = c.var.userId;
  c.header("X-Accel-Buffering", "no");
  return streamSSE(c, async (stream) => {
    const unsent: (LeadChange | "keep-alive")[] = [];
    let wake: (() => void) | null = null;
    const nudge = () => {
      wake?.();
      wake = null;
    };
    const unsubscribe = await hub.subscribe(userId, (change) => {
      if (unsent.length >= MAX_UNSENT_CHANGES) {
        c.var.log.info({ unsent: unsent.length }, "event stream dropped: the client is too slow");
        stream.abort();
      } else unsent.push(change);
      nudge();
    });
    const keepAlive = setInterval(() => {
      unsent.push("keep-alive");
      nudge();
    }, KEEP_ALIVE_MS);
    stream.onAbort(nudge);
    try {
      await stream.write(": connected\n\n");
      while (!stream.aborted) {
        const next = unsent.shift();
        if (next === undefined) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        } else if (next === "keep-alive") {
          await stream.write(": keep-alive\n\n");
        } else {
          await stream.writeSSE({ event: "lead", data: JSON.stringify(next) });
        }
      }
    } finally {
      clearInterval(keepAlive);
      unsubscribe();
    }
  });
});
