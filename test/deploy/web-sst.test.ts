import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { serve } from "@hono/node-server";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../support/api.ts";
import { functionUrlEvent } from "./lambda-events.ts";

// sst.aws.SvelteKit runs `npm run build` in web/ with SST=1 and deploys `.svelte-kit/svelte-kit-sst`: the client
// and prerendered files to S3, `server/lambda-handler/index.handler` bundled by esbuild as a Lambda behind
// CloudFront. This builds a copy of web/ both ways (the copy keeps the real web/.svelte-kit and web/build, which
// other suites use, untouched), bundles the handler as SST does, and serves pages through it with function URL
// events against the real API.

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const CLOUDFRONT_HOST = "d111111abcdef8.cloudfront.net";

let dir: string;
let api: TestApi;
let apiServer: ReturnType<typeof serve>;
let apiUrl: string;

beforeAll(async () => {
  // Inside the repository, so the copy resolves packages from its node_modules as web/ does.
  await mkdir(join(root, "test-results"), { recursive: true });
  dir = await mkdtemp(join(root, "test-results", "web-sst-"));
  const skip = new Set(["node_modules", ".svelte-kit", "build"]);
  await cp(join(root, "web"), dir, {
    recursive: true,
    filter: (src) => !skip.has(src.slice(join(root, "web").length + 1).split("/")[0] ?? ""),
  });
  api = await startTestApi();
  apiServer = serve({ fetch: api.app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => apiServer.once("listening", () => resolve()));
  apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => apiServer?.close(resolve));
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function buildWeb(env: Record<string, string>) {
  const { SST: _ignored, ...inherited } = process.env;
  await run("npm", ["run", "build"], {
    cwd: dir,
    env: { ...inherited, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
}

const exists = (path: string) =>
  stat(join(dir, path)).then(
    () => true,
    () => false,
  );

type WebEvent = ReturnType<typeof functionUrlEvent> & { cookies?: string[] };
interface WebResult {
  statusCode: number;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string;
}

/** Each call a fresh `node` process, as a Lambda instance: import the bundle (its init runs), handle the events. */
async function invoke(bundle: string, events: WebEvent[]): Promise<WebResult[]> {
  const script = `const { handler } = await import(${JSON.stringify(bundle)});
    let input = ""; for await (const chunk of process.stdin) input += chunk;
    const results = [];
    for (const event of JSON.parse(input)) results.push(await handler(event));
    process.stdout.write(JSON.stringify(results));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: join(dir, ".svelte-kit", "svelte-kit-sst"),
    // As infra/web.ts configures it: PROTOCOL_HEADER named, so the app trusts the adapter's https URLs, and pages
    // polling for changes, since a function URL cannot hold the event stream open.
    env: {
      PATH: process.env.PATH,
      API_URL: apiUrl,
      AWS_LAMBDA_FUNCTION_NAME: "leadflow-web",
      PROTOCOL_HEADER: "cloudfront-forwarded-proto",
      LIVE_UPDATES: "poll",
    },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  child.stdin.end(JSON.stringify(events));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`the web handler exited ${code}:\n${err}`);
  return JSON.parse(out);
}

/** What CloudFront forwards to the server function's URL (SST's CloudFront function sets x-forwarded-host). */
function pageEvent(method: string, path: string, options: { cookies?: string[]; form?: string } = {}) {
  const event: WebEvent = functionUrlEvent(method, path, {
    headers: {
      "x-forwarded-host": CLOUDFRONT_HOST,
      accept: "text/html",
      ...(options.form
        ? { "content-type": "application/x-www-form-urlencoded", origin: `https://${CLOUDFRONT_HOST}` }
        : {}),
    },
    body: options.form,
  });
  if (options.cookies) event.cookies = options.cookies;
  return event;
}

describe("the web build", () => {
  it("makes adapter-node's web/build by default, and svelte-kit-sst's layout with SST=1, which serves pages on Lambda", {
    timeout: 180_000,
  }, async () => {
    await buildWeb({});
    expect(await exists("build/index.js")).toBe(true);
    expect(await exists("build/handler.js")).toBe(true);
    expect(await exists("build/client/favicon.svg")).toBe(true);
    expect(await exists(".svelte-kit/svelte-kit-sst")).toBe(false);

    await buildWeb({ SST: "1" });
    const out = ".svelte-kit/svelte-kit-sst";
    // What sst.aws.SvelteKit's build plan reads: the server manifest, the handler, the assets and prerendered pages.
    for (const path of [
      "server/manifest.js",
      "server/index.js",
      "server/lambda-handler/index.js",
      "prerendered",
    ])
      expect(await exists(`${out}/${path}`), path).toBe(true);
    expect(await exists(`${out}/client/favicon.svg`)).toBe(true);
    expect(await exists(`${out}/client/_app/immutable`)).toBe(true);
    const handlerSource = await readFile(join(dir, out, "server/lambda-handler/index.js"), "utf8");
    expect(handlerSource).not.toContain("@sveltejs/kit/node/polyfills");
    expect(handlerSource).toContain("export async function handler");

    // Bundled the way SST bundles a Node function: ESM, every dependency inlined, a `require` for CommonJS ones.
    const bundle = join(dir, "lambda", `index-${randomUUID()}.mjs`);
    await build({
      entryPoints: [join(dir, out, "server/lambda-handler/index.js")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node24",
      minify: true,
      mainFields: ["module", "main"],
      banner: {
        js: "import { createRequire as topLevelCreateRequire } from 'module';const require = topLevelCreateRequire(import.meta.url);",
      },
      outfile: bundle,
      logLevel: "silent",
    });

    const email = `web-sst-${randomUUID()}@example.test`;
    const form = new URLSearchParams({ email, password: "correct horse battery", next: "" }).toString();
    const [login, home, signup] = await invoke(bundle, [
      pageEvent("GET", "/login"),
      pageEvent("GET", "/"),
      pageEvent("POST", "/signup", { form }),
    ]);
    expect(login!.statusCode).toBe(200);
    expect(login!.headers?.["content-type"]).toMatch(/^text\/html/);
    expect(login!.body).toContain("<form");
    // The layout asked the API for /meta through API_URL: the simulator banner is there.
    expect(login!.body).toContain('data-testid="simulator-banner"');
    expect(login!.headers?.["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(home!.statusCode).toBe(303);
    expect(home!.headers?.location).toBe("/login");

    // Signing up through the form action: the API made the user, and the session cookie comes back the way a
    // function URL response carries cookies (payload 2.0 `cookies`), Secure since the request came over https.
    expect(signup!.statusCode).toBe(303);
    expect(signup!.headers?.location).toBe("/inbox");
    const session = signup!.cookies?.find((c) => c.startsWith("leadflow_session="));
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/Secure/i);
    expect(session).toMatch(/SameSite=Lax/i);

    const cookies = [session!.split(";")[0]!];
    const [leads, inbox, stream] = await invoke(bundle, [
      pageEvent("GET", "/leads", { cookies }),
      pageEvent("GET", "/inbox", { cookies }),
      pageEvent("GET", "/events/stream", { cookies }),
    ]);
    expect(leads!.statusCode).toBe(200);
    expect(leads!.body).toContain(email);
    // Live updates poll here: the inbox's page data says so, and the relay refuses at once rather than hold a
    // response open.
    expect(inbox!.statusCode).toBe(200);
    expect(inbox!.body).toMatch(/\blive:"poll"/);
    expect(stream!.statusCode).toBe(503);
    expect(stream!.body).toMatch(/LIVE_UPDATES=poll/);
  });
});
