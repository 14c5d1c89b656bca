import { readFile } from "node:fs/promises";
import { createRoute } from "@hono/zod-openapi";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { errorAnswers, PUBLIC } from "../responses.ts";
import { router } from "../router.ts";

/**
 * Built by `npm run build:widget` (esbuild, from widget/src) before the API starts, and read once: beside the
 * bundle on Lambda (scripts/build-lambda.ts copies it there), else in the repository's widget/dist.
 */
const BESIDE_BUNDLE = new URL("./widget.js", import.meta.url);
const IN_REPOSITORY = new URL("../../../widget/dist/widget.js", import.meta.url);
let bundle: Promise<string> | undefined;

const readBundle = () => readFile(BESIDE_BUNDLE, "utf8").catch(() => readFile(IN_REPOSITORY, "utf8"));

const widget = createRoute({
  method: "get",
  path: "/widget.js",
  operationId: "getWidgetScript",
  tags: ["inbound"],
  ...PUBLIC,
  summary: "The web-chat widget: embed with data-leadflow-key (a web-chat channel's public key)",
  // Any site embeds it, so it must be loadable cross-origin (the API's default policy is same-origin).
  middleware: [
    secureHeaders({ contentSecurityPolicy: undefined, crossOriginResourcePolicy: "cross-origin" }),
  ] as const,
  responses: {
    200: {
      description: "The script, dependency-free, at most 10 KB gzipped.",
      content: { "application/javascript": { schema: z.string() } },
    },
    // service_unavailable here also covers a bundle that was not built (npm run build:widget).
    ...errorAnswers("service_unavailable"),
  },
});

export const widgetRoutes = router().openapi(widget, async (c) => {
  bundle ??= readBundle();
  let script: string;
  try {
    script = await bundle;
  } catch (err) {
    bundle = undefined;
    c.var.log.error({ err }, "widget bundle missing");
    throw new ApiError("service_unavailable", "The chat widget is not available right now.");
  }
  c.header("Content-Type", "application/javascript; charset=utf-8");
  c.header("Cache-Control", "public, max-age=300");
  return c.body(script, 200);
});
