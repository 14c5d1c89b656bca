import { randomUUID } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, startWebServer } from "./stack.ts";

// The built web server over HTTP (no browser needed): where sign-in may send you, what the session cookie
// promises, and what the simulator banner depends on.

const PASSWORD = "correct horse battery";
let stack: Stack;
let account: { email: string; token: string };

beforeAll(async () => {
  stack = await startStack();
  const email = `websec-${randomUUID()}@example.test`;
  const res = await fetch(`${stack.apiUrl}/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  account = { email, token: ((await res.json()) as { access_token: string }).access_token };
});
afterAll(() => stack?.close());

/** A form post as a browser without scripts sends it, from the site's own pages. */
function postForm(
  webUrl: string,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return fetch(`${webUrl}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      origin: webUrl,
      accept: "text/html",
      "content-type": "application/x-www-form-urlencoded",
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

// Each as it would arrive in ?next= (already URL-encoded where the attack is in the encoding).
const HOSTILE_NEXT = [
  "%2F%09%2Fevil.com",
  "/%09/evil.com",
  "/%0A/evil.com",
  "/%0D%0A/evil.com",
  "//evil.com",
  "%2F%2Fevil.com",
  "/%5Cevil.com",
  "%5C%5Cevil.com",
  "/%5C/evil.com",
  "/.//evil.com",
  "/./%2F/evil.com",
  "https://evil.com",
  "https:evil.com",
  "https:%2F%2Fevil.com",
  "%20//evil.com",
  "javascript:alert(1)",
  "//%09/evil.com",
  "/%2F%2Fevil.com",
  "%E2%80%AE//evil.com",
  "http://127.0.0.1.evil.com/leads",
];

describe("next= after sign-in", () => {
  const staysOnSite = (res: Response, webUrl: string) => {
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    const target = new URL(location, webUrl);
    expect(target.origin).toBe(new URL(webUrl).origin);
    // What a browser does with the Location header itself: a leading // or \ would be another host.
    expect(location).toMatch(/^\/(?![/\\])/);
  };

  it.each(HOSTILE_NEXT)("keeps %s on the site when already signed in (never a 500)", async (next) => {
    const res = await fetch(`${stack.webUrl}/login?next=${next}`, {
      redirect: "manual",
      headers: { cookie: `leadflow_session=${account.token}` },
    });
    staysOnSite(res, stack.webUrl);
  });

  it.each(HOSTILE_NEXT)("keeps %s on the site after signing in (never a 500)", async (next) => {
    const res = await postForm(stack.webUrl, "/login", {
      email: account.email,
      password: PASSWORD,
      next: decodeURIComponent(next),
    });
    staysOnSite(res, stack.webUrl);
  });

  it("still goes to a path of the site, query and all", async () => {
    const res = await fetch(`${stack.webUrl}/login?next=${encodeURIComponent("/leads?status=failed#top")}`, {
      redirect: "manual",
      headers: { cookie: `leadflow_session=${account.token}` },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/leads?status=failed#top");
  });
});

describe("the session cookie's Secure flag and HSTS", () => {
  it("ignore an X-Forwarded-Proto the operator did not name (PROTOCOL_HEADER unset)", async () => {
    const res = await postForm(
      stack.webUrl,
      "/login",
      { email: account.email, password: PASSWORD, next: "/leads" },
      { "x-forwarded-proto": "https" },
    );
    expect(res.status).toBe(303);
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^leadflow_session=/);
    expect(cookie).not.toMatch(/;\s*secure/i);
    expect(res.headers.get("strict-transport-security")).toBeNull();
  });

  it("follow the configured PROTOCOL_HEADER: Secure and HSTS over https, neither over http", async () => {
    const web = await startWebServer({ API_URL: stack.apiUrl, PROTOCOL_HEADER: "x-forwarded-proto" });
    try {
      const https = await postForm(
        web.url,
        "/login",
        { email: account.email, password: PASSWORD, next: "/leads" },
        { "x-forwarded-proto": "https" },
      );
      expect(https.status).toBe(303);
      expect(https.headers.get("set-cookie")).toMatch(/;\s*secure/i);
      const page = await fetch(`${web.url}/login`, { headers: { "x-forwarded-proto": "https" } });
      expect(page.headers.get("strict-transport-security")).toMatch(/^max-age=\d{7,}/);
      const plain = await fetch(`${web.url}/login`, { headers: { "x-forwarded-proto": "http" } });
      expect(plain.headers.get("strict-transport-security")).toBeNull();
    } finally {
      await web.close();
    }
  });
});

describe("the simulator banner", () => {
  let proxy: Server;
  let metaDown = true;
  beforeAll(async () => {
    // The real API, with GET /meta failing until the test says otherwise (as while the API starts).
    const api = new URL(stack.apiUrl);
    proxy = createServer((req, res) => {
      if (req.url === "/meta" && metaDown) {
        res
          .writeHead(503, { "content-type": "application/json" })
          .end('{"error":{"code":"service_unavailable"}}');
        return;
      }
      const upstream = httpRequest(
        { host: api.hostname, port: api.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

  it("shows on the first page after /meta answers again: a failed /meta is not cached", async () => {
    const web = await startWebServer({
      API_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    });
    try {
      expect(await (await fetch(`${web.url}/login`)).text()).not.toContain('data-testid="simulator-banner"');
      metaDown = false;
      expect(await (await fetch(`${web.url}/login`)).text()).toContain('data-testid="simulator-banner"');
    } finally {
      await web.close();
    }
  });
});
