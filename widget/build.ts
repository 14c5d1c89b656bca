import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** Builds the web-chat widget (widget/src) into one minified, dependency-free script, widget/dist/widget.js. */
const here = dirname(fileURLToPath(import.meta.url));
export const WIDGET_BUNDLE = join(here, "dist", "widget.js");

mkdirSync(dirname(WIDGET_BUNDLE), { recursive: true });
await build({
  entryPoints: [join(here, "src", "widget.ts")],
  outfile: WIDGET_BUNDLE,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
});
