import { api } from "./api.ts";
import { forwardingSecret } from "./secrets.ts";

/**
 * The SvelteKit app on Lambda + CloudFront. SST builds it with `npm run build` in web/ and SST=1 set, with which
 * web/vite.config.ts uses the `svelte-kit-sst` adapter (adapter-node otherwise), see docs/deploy.md. Its server
 * calls the API at API_URL, the API function's URL.
 */
export const web = new sst.aws.SvelteKit("Web", {
  path: "web",
  // The browser's address travels to the API with the shared secret, so per-address limits count browsers.
  // svelte-kit-sst builds every request URL as https (CloudFront serves https only): naming a protocol header
  // tells the app that URL is configuration it may trust, so cookies are Secure and HSTS is sent.
  environment: {
    API_URL: api.url,
    FORWARDING_SECRET: forwardingSecret.value,
    PROTOCOL_HEADER: "cloudfront-forwarded-proto",
    // A function URL buffers the whole response and each instance lives briefly, so the event stream cannot be
    // relayed from here: pages poll instead (web/src/lib/live.svelte.ts).
    LIVE_UPDATES: "poll",
  },
});
