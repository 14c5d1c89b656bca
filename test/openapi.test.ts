import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { contractOf } from "./support/contract.ts";

let api: TestApi;
let document: Record<string, any>;
beforeAll(async () => {
  api = await startTestApi();
  const served = await api.call("GET", "/openapi.json");
  expect(served.status).toBe(200);
  document = served.json;
});
afterAll(() => api.close());

type Operation = { method: string; path: string; spec: Record<string, any> };

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

function operations(): Operation[] {
  return Object.entries<Record<string, any>>(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ method, path, spec: item[method] })),
  );
}

/** Hono writes `/leads/:id`, OpenAPI `/leads/{id}`. */
const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

const statusesOf = (operation: Operation) => Object.keys(operation.spec.responses ?? {}).sort();

const takesJsonBody = (operation: Operation) =>
  Object.keys(operation.spec.requestBody?.content ?? {}).some((type) => /json/.test(type));

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document with servers and a bearer JWT security scheme", () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.servers?.length).toBeGreaterThan(0);
    const schemes = Object.values<Record<string, string>>(document.components?.securitySchemes ?? {});
    expect(schemes).toContainEqual(
      expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }),
    );
  });

  it("documents every route the app serves, each with a unique operationId and a security list", () => {
    const served = new Set(
      api.app.routes
        .filter((route) => route.method !== "ALL")
        .map((route) => `${route.method.toLowerCase()} ${openApiPath(route.path)}`),
    );
    const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
    expect([...served].filter((route) => !documented.has(route))).toEqual([]);
    // And nothing documented that the app does not answer.
    expect([...documented].filter((route) => !served.has(route))).toEqual([]);

    const ids = operations().map((o) => o.spec.operationId);
    expect(ids.filter((id) => typeof id !== "string" || id === "")).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    // An empty list says "public" out loud; a missing one would inherit whatever a client guesses.
    expect(
      operations()
        .filter((o) => !Array.isArray(o.spec.security))
        .map((o) => o.spec.operationId),
    ).toEqual([]);
  });

  it("lists, for every operation, the statuses its middleware can answer", () => {
    for (const operation of operations()) {
      const statuses = statusesOf(operation);
      const name = `${operation.method.toUpperCase()} ${operation.path}`;
      const secured = operation.spec.security.some((requirement: object) => Object.keys(requirement).length);
      if (secured) expect(statuses, `${name}: a refused token`).toContain("401");
      if (operation.path.includes("{"))
        expect(statuses, `${name}: an id that is not the caller's`).toContain("404");
      if (takesJsonBody(operation)) {
        expect(statuses, `${name}: a JSON body's refusals`).toEqual(
          expect.arrayContaining(["400", "413", "415"]),
        );
      }
    }
  });

  // What each existing route can answer, from README's API table: a route that loses a status here lost it from
  // the contract. New routes are held to the rules of the test above.
  it.each([
    ["post", "/auth/signup", ["201", "400", "409", "413", "415", "429", "503"]],
    ["post", "/auth/login", ["200", "400", "401", "413", "415", "429", "503"]],
    ["post", "/auth/logout", ["204", "401", "503"]],
    ["get", "/auth/me", ["200", "401", "503"]],
    ["post", "/leads", ["200", "202", "400", "401", "413", "415", "422", "429", "503"]],
    ["get", "/leads", ["200", "400", "401", "503"]],
    ["get", "/leads/{id}", ["200", "401", "404", "503"]],
    ["get", "/leads/{id}/attempts", ["200", "401", "404", "503"]],
    ["get", "/leads/{id}/events", ["200", "401", "404", "503"]],
    ["post", "/leads/{id}/retry", ["202", "401", "404", "409", "429", "503"]],
    ["get", "/stats", ["200", "400", "401", "503"]],
    ["post", "/leads/{id}/handling", ["200", "400", "401", "404", "413", "415", "503"]],
    ["post", "/leads/{id}/corrections", ["201", "400", "401", "404", "413", "415", "503"]],
    ["get", "/inbox", ["200", "400", "401", "503"]],
    ["post", "/webhook-endpoints", ["201", "400", "401", "403", "413", "415", "503"]],
    ["get", "/webhook-endpoints", ["200", "401", "403", "503"]],
    ["delete", "/webhook-endpoints/{id}", ["204", "401", "403", "404", "503"]],
    ["get", "/webhook-endpoints/{id}/deliveries", ["200", "401", "403", "404", "503"]],
    ["post", "/webhook-endpoints/{id}/test", ["202", "401", "403", "404", "503"]],
    ["post", "/webhook-endpoints/{id}/deliveries/{deliveryId}/resend", ["202", "401", "403", "404", "503"]],
    ["get", "/events/stream", ["200", "401", "503"]],
    ["get", "/healthz", ["200"]],
    ["get", "/readyz", ["200", "503"]],
    ["get", "/metrics", ["200", "401"]],
    ["get", "/meta", ["200"]],
    ["post", "/api-keys", ["201", "400", "401", "403", "409", "413", "415", "503"]],
    ["get", "/api-keys", ["200", "401", "403", "503"]],
    ["delete", "/api-keys/{id}", ["204", "401", "403", "404", "503"]],
    ["post", "/channels", ["201", "400", "401", "403", "413", "415", "503"]],
    ["get", "/channels", ["200", "401", "403", "503"]],
    ["delete", "/channels/{id}", ["204", "401", "403", "404", "503"]],
    ["get", "/channels/{id}/deliveries", ["200", "401", "403", "404", "503"]],
    ["get", "/inbound/whatsapp/{channelId}", ["200", "403", "404"]],
    ["post", "/inbound/whatsapp/{channelId}", ["200", "400", "401", "404", "413"]],
    ["post", "/inbound/email/{channelId}", ["200", "400", "401", "404", "406", "413"]],
    ["post", "/inbound/webchat/{publicKey}", ["202", "400", "403", "404", "413", "429"]],
    ["options", "/inbound/webchat/{publicKey}", ["204", "403", "404"]],
    ["get", "/widget.js", ["200", "503"]],
  ])("%s %s answers %j", (method, path, expected) => {
    const operation = document.paths[path]?.[method];
    expect(operation, `${method} ${path} is documented`).toBeDefined();
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(expected));
  });

  it("documents Idempotency-Key on POST /leads with its replay (200) and conflict (422)", () => {
    const submit = document.paths["/leads"].post;
    expect(submit.parameters).toContainEqual(
      expect.objectContaining({ in: "header", name: expect.stringMatching(/^idempotency-key$/i) }),
    );
    expect(submit.responses["200"].content["application/json"].schema).toBeDefined();
    expect(submit.responses["422"].content["application/json"].schema).toBeDefined();
  });

  it("keeps the API reference page pointed at it", async () => {
    const docs = await api.call("GET", "/docs");
    expect(docs.status).toBe(200);
    expect(docs.text).toContain("/openapi.json");
  });
});

describe("the contract check every call() runs", () => {
  it("passes an answer the document declares", () => {
    const check = contractOf(document);
    expect(
      check({
        method: "GET",
        path: "/healthz",
        status: 200,
        contentType: "application/json",
        json: { status: "ok" },
      }),
    ).toEqual([]);
  });

  it("catches a wrong type, an undocumented status and an unknown operation", () => {
    const check = contractOf(document);
    const answer = { method: "GET", path: "/readyz", contentType: "application/json" };
    expect(check({ ...answer, status: 200, json: { status: 42, checks: { database: "ok" } } })).not.toEqual(
      [],
    );
    expect(check({ ...answer, status: 418, json: { status: "ok" } })).not.toEqual([]);
    expect(check({ ...answer, path: "/nowhere", status: 200, json: {} })).not.toEqual([]);
  });

  it("holds an unknown route's 404 to the error envelope", () => {
    const check = contractOf(document);
    const answer = { method: "GET", path: "/nowhere", status: 404, contentType: "application/json" };
    expect(check({ ...answer, json: { error: { code: "not_found", message: "No route." } } })).toEqual([]);
    expect(check({ ...answer, json: { message: "No route." } })).not.toEqual([]);
  });
});

describe("redocly lint (recommended rules)", () => {
  it("finds no errors in the served document", async () => {
    const dir = await mkdtemp(join(tmpdir(), "leadflow-openapi-"));
    try {
      const file = join(dir, "openapi.json");
      await writeFile(file, JSON.stringify(document, null, 2));
      const report = await redoclyLint(file, dir);
      const errors = report.problems.filter((p) => p.severity === "error");
      // The figure the lead asked for; warnings are advice (e.g. a 4XX on every operation), not a failure.
      console.info(`redocly lint: ${report.totals.errors} errors, ${report.totals.warnings} warnings`);
      expect(errors.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}

/** The real CLI on the same Node as the tests; it exits 1 when it finds errors, and still prints its report. */
function redoclyLint(file: string, cwd: string): Promise<LintReport> {
  const cli = createRequire(import.meta.url).resolve("@redocly/cli/bin/cli.js");
  const args = [cli, "lint", file, "--extends=recommended", "--format=json"];
  // Run from an empty directory so no redocly.yaml around the repository changes the rules.
  const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (_err, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout) as LintReport);
      } catch {
        reject(new Error(`redocly printed no report: ${stderr}`));
      }
    });
  });
}
