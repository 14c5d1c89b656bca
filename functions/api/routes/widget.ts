import { readFile } from "node:fs/promises";
import { createRoute } from "@hono/zod-openapi";
import { secureHeaders } from "hono/secure-headers";
import { errorResponse } from "../errors.ts";
import { errorAnswers, openApiRouter } from "../openapi-router.ts";

/** Built by `npm run build:widget` (esbuild, from widget/src) before the API starts; read once. */
const BUNDLE = new URL("../../../widget/dist/widget.js", import.meta.url);
let bundle: Promise<string> | undefined;

const widget = createRoute({
  method: "get",
  path: "/widget.js",
  summary: "The web-chat widget: embed with data-leadflow-key (a web-chat channel's public key)",
  // Any site embeds it, so it must be loadable cross-origin (the API's default policy is same-origin).
  middleware: [
    secureHeaders({ contentSecurityPolicy: undefined, crossOriginResourcePolicy: "cross-origin" }),
  ] as const,
  responses: {
    200: { description: "The script (application/javascript), dependency-free, at most 10 KB gzipped." },
    ...errorAnswers({ 503: "`service_unavailable`: the widget was not built (npm run build:widget)." }),
  },
});

export const widgetRoutes = openApiRouter().openapi(widget, async (c) => {
  bundle ??= readFile(BUNDLE, "utf8");
  let script: string;
  try {
    script = await bundle;
  } catch (err) {
    bundle = undefined;
    c.var.log.error({ err }, "widget bundle missing");
    return errorResponse(c, "service_unavailable", "The chat widget is not available right now.");
  }
  c.header("Content-Type", "application/javascript; charset=utf-8");
  c.header("Cache-Control", "public, max-age=300");
  return c.body(script, 200);
});
