import { api } from "./api.ts";

/**
 * The SvelteKit app on Lambda + CloudFront. SST builds it with `npm run build` in web/ and SST=1 set, with which
 * web/vite.config.ts uses the `svelte-kit-sst` adapter (adapter-node otherwise), see docs/deploy.md. Its server
 * calls the API at API_URL, the API function's URL.
 */
export const web = new sst.aws.SvelteKit("Web", {
  path: "web",
  environment: { API_URL: api.url },
});
