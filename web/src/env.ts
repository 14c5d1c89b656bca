import { defineEnvVars } from "@sveltejs/kit/env";

/** Read when the web server starts; every one is server-only ($app/env/private). */
export const variables = defineEnvVars({
  API_URL: {
    description: "Base URL of the leadflow API, reached from the web server only.",
    schema: (value) => {
      const url = value?.trim() || "http://127.0.0.1:3000";
      try {
        new URL(url);
      } catch {
        throw new Error(`API_URL must be a URL, got ${JSON.stringify(value)}`);
      }
      return url.replace(/\/+$/, "");
    },
  },
  FORWARDING_SECRET: {
    description:
      "The API's FORWARDING_SECRET: sent with the browser's address so the API's per-address limits count browsers, not this server.",
    schema: (value) => value?.trim() || undefined,
  },
  ORIGIN: {
    description:
      "adapter-node's fixed origin of the site (e.g. https://leads.example.com); when set, its protocol says whether cookies are Secure.",
    schema: (value) => value?.trim() || undefined,
  },
  LIVE_UPDATES: {
    description:
      "How pages follow changes: `stream` relays the API's GET /events/stream to the browser (default); `poll` " +
      "re-loads on a timer instead, for hosts that cannot hold a response open (AWS Lambda).",
    schema: (value): "stream" | "poll" => {
      const mode = value?.trim().toLowerCase() || "stream";
      if (mode !== "stream" && mode !== "poll") {
        throw new Error(`LIVE_UPDATES must be stream or poll, got ${JSON.stringify(value)}`);
      }
      return mode;
    },
  },
  PROTOCOL_HEADER: {
    description:
      "adapter-node's proxy header naming the request protocol. When set, the request URL's protocol is trusted.",
    schema: (value) => value?.trim().toLowerCase() || undefined,
  },
});
