import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Adapter, Builder } from "@sveltejs/kit";
import svelteKitSst from "svelte-kit-sst";

/** Where svelte-kit-sst writes (relative to web/, where SST runs the build) and where sst.aws.SvelteKit reads. */
export const SST_OUTPUT = join(".svelte-kit", "svelte-kit-sst");
const HANDLER = join(SST_OUTPUT, "server", "lambda-handler", "index.js");

// svelte-kit-sst 3.0.0 (the latest) was written for SvelteKit 1-2: its Lambda handler imports
// `@sveltejs/kit/node/polyfills`, which SvelteKit 3 no longer exports, so SST's bundling of the server function
// fails ("Could not resolve"; anomalyco/sst#6993). The polyfills (crypto, File) are Node globals since Node 20 and
// installPolyfills() skipped globals already present, so the fix upstream (anomalyco/v2#141) drops the import
// and the call; this does the same to the handler the adapter copies out, until a fixed release exists.
const POLYFILLS = "@sveltejs/kit/node/polyfills";
const POLYFILLS_IMPORT = /^import \{ installPolyfills \} from "@sveltejs\/kit\/node\/polyfills";\r?\n/m;
const POLYFILLS_CALL = /^installPolyfills\(\);\r?\n/m;

export function dropPolyfills(source: string): string {
  if (!source.includes(POLYFILLS)) return source;
  const patched = source.replace(POLYFILLS_IMPORT, "").replace(POLYFILLS_CALL, "");
  if (patched.includes(POLYFILLS) || patched.includes("installPolyfills")) {
    throw new Error(
      `svelte-kit-sst's handler (${HANDLER}) uses ${POLYFILLS} in a way this build does not know how to remove; ` +
        "check for a release of svelte-kit-sst that supports SvelteKit 3.",
    );
  }
  return patched;
}

/**
 * svelte-kit-sst's output layout (`.svelte-kit/svelte-kit-sst/{client,prerendered,server}`, the server function
 * at `server/lambda-handler/index.handler`), which is what sst.aws.SvelteKit deploys, with its handler made to
 * load under SvelteKit 3.
 */
export function sstAdapter(): Adapter {
  const upstream = svelteKitSst();
  return {
    name: upstream.name,
    async adapt(builder: Builder) {
      // Its types name SvelteKit 1's Builder (`@sveltejs/kit/types`, gone since); it only calls methods that
      // SvelteKit 3's Builder still has (rimraf, mkdirp, writeClient, writePrerendered, writeServer, copy, log).
      await upstream.adapt(builder as never);
      writeFileSync(HANDLER, dropPolyfills(readFileSync(HANDLER, "utf8")));
    },
  };
}
