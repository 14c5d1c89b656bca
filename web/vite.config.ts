import adapterNode from "@sveltejs/adapter-node";
import { sveltekit } from "@sveltejs/kit/vite";
import { defineConfig } from "vite";

// sst.aws.SvelteKit (infra/web.ts) runs `npm run build` here with SST=1 set and deploys the svelte-kit-sst layout
// (Lambda + CloudFront); every other build (npm start, docker, the tests) makes adapter-node's web/build. Set the
// same way @sveltejs/adapter-auto tells SST apart: any non-empty SST.
const adapter = process.env.SST ? (await import("./sst-adapter.ts")).sstAdapter() : adapterNode();

export default defineConfig({
  plugins: [
    sveltekit({
      adapter,
      // adapter-node assumes https unless PROTOCOL_HEADER names a proxy header, so SvelteKit's own origin check
      // would refuse every form posted over plain http (npm start, the e2e tests). src/hooks.server.ts does the
      // same check on the host instead, and the session cookie is SameSite=Lax on top of it.
      csrf: { trustedOrigins: ["*"] },
      csp: {
        mode: "auto",
        directives: {
          "default-src": ["self"],
          "script-src": ["self"],
          "style-src": ["self", "unsafe-inline"],
          "img-src": ["self", "data:"],
          "connect-src": ["self"],
          "form-action": ["self"],
          "frame-ancestors": ["none"],
          "base-uri": ["self"],
          "object-src": ["none"],
        },
      },
    }),
  ],
});
