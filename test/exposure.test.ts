import { randomUUID } from "node:crypto";
import { createLogger } from "@leadflow/core/logger";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../functions/api/app.ts";
import { READINESS_CACHE_MS } from "../functions/api/routes/health.ts";
import { startWorker } from "../functions/worker/worker.ts";
import { sampleLead, startTestApi, type TestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";

// What the API shows of itself: its metrics, its readiness, its model, and what its logs keep of a failure.

const METRICS_TOKEN = "metrics-token-for-tests-0123456789";
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ METRICS_TOKEN });
});
afterAll(() => api.close());

describe("/metrics with METRICS_TOKEN", () => {
  it("answers the API's metrics only to the bearer of the token", async () => {
    for (const authorization of [undefined, "Bearer wrong-token-wrong-token", `Basic ${METRICS_TOKEN}`]) {
      const res = await api.call("GET", "/metrics", { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe("unauthorized");
      expect(res.text).not.toContain("leadflow_http");
    }
    const ok = await api.call("GET", "/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("leadflow_http_request_duration_seconds");
  });

  it("answers the worker's metrics only to the bearer of the token, and its health to anyone", async () => {
    const { loadConfig } = await import("@leadflow/core/config");
    const worker = startWorker(
      loadConfig({
        ...process.env,
        NODE_ENV: "test",
        METRICS_TOKEN,
        REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-mt`,
      }),
      createLogger({ level: "silent", name: "metrics-token" }),
    );
    try {
      let port = worker.metrics.port();
      for (let i = 0; !port && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 20));
        port = worker.metrics.port();
      }
      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const wrong = await fetch(`${url}/metrics`, {
        headers: { authorization: "Bearer nope-nope-nope-nope" },
      });
      expect(wrong.status).toBe(401);
      const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("leadflow_step");
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await worker.close();
    }
  });
});

describe("/readyz", () => {
  it(`checks the dependencies at most once per ${READINESS_CACHE_MS} ms, however often it is asked`, async () => {
    let checks = 0;
    const app = createApp({
      ...api.deps,
      readiness: {
        database: async () => {
          checks++;
        },
      },
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => app.request("/readyz")));
    for (let i = 0; i < 5; i++) answers.push(await app.request("/readyz"));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(checks).toBe(1);
  });
});

describe("/meta", () => {
  it("says simulated when a real provider's base URL is the simulator's", async () => {
    const pointed = await startTestApi({
      LLM_PROVIDER: "openai",
      OPENAI_API_KEY: "sk-would-travel-to-the-simulator",
      SIMULATOR_URL: "http://simulator:4010/v1",
      OPENAI_BASE_URL: "http://simulator:4010/v1",
    });
    try {
      expect((await pointed.call("GET", "/meta")).json.llm).toMatchObject({
        provider: "openai",
        simulated: true,
      });
    } finally {
      await pointed.close();
    }
  });
});

describe("logs of a refused write", () => {
  let owner: pg.Client;
  const marker = `refused-${randomUUID()}`;
  beforeAll(async () => {
    owner = new pg.Client({ connectionString: fileEnv("DATABASE_URL") });
    await owner.connect();
    // A write PostgreSQL refuses, for this test's leads only: a check on the name it sends.
    await owner.query(
      `alter table leads add constraint leads_refuse_probe check (name <> '${marker}') not valid`,
    );
  });
  afterAll(async () => {
    await owner?.query("alter table leads drop constraint if exists leads_refuse_probe");
    await owner?.end();
  });

  it("keeps PostgreSQL's code and constraint, and no parameter or query text", async () => {
    const lines: string[] = [];
    const log = createLogger(
      { level: "info", name: "refused-write" },
      { write: (l: string) => lines.push(l) },
    );
    const app = createApp({ ...api.deps, log });
    const email = `refused-${randomUUID()}@example.test`;
    const signup = await app.request("/auth/signup", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "correct horse battery" }),
    });
    const { access_token: token } = (await signup.json()) as { access_token: string };
    const lead = sampleLead({
      name: marker,
      contact: "+44 7700 900999 secret-contact",
      message: "Private message text that must never reach a log line",
    });
    const res = await app.request("/leads", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(lead),
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("internal");

    // The user and request ids stay: they are how a log line is traced, and they say nothing of the lead.
    const logged = lines.join("\n");
    const failure = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "unhandled error");
    expect(failure?.err).toMatchObject({
      type: "DrizzleQueryError",
      message: expect.stringMatching(/not logged/),
    });
    expect(failure?.err.cause).toMatchObject({
      code: "23514",
      constraint: "leads_refuse_probe",
      table: "leads",
    });
    for (const secret of [marker, lead.contact, lead.message, email, token, "insert into", "params"]) {
      expect(logged).not.toContain(secret);
    }
  });
});

describe("a provider's error body shown to the user", () => {
  const body = {
    error: {
      message:
        "Request refused for organization org-Zx81LmQp0aRT in project proj_5fGh81LmQp0aRTzz (request req_8a7d6c5b4a3f2e1d); key sk-proj-AbC123dEf456gHi789 owned by owner@acme.example",
      type: "invalid_request_error",
      code: null,
    },
  };
  let provider: import("node:http").Server;
  let pipeline: import("./support/pipeline.ts").Pipeline;
  beforeAll(async () => {
    const { createServer } = await import("node:http");
    // An OpenAI-compatible server that refuses every request the way OpenAI words it (a 400 fails at once).
    provider = createServer((req, res) => {
      req.resume();
      req.on("end", () =>
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify(body)),
      );
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const { startPipeline } = await import("./support/pipeline.ts");
    pipeline = await startPipeline("provider-text", {
      LLM_PROVIDER: "openai",
      OPENAI_API_KEY: "sk-test-never-valid",
      OPENAI_BASE_URL: `http://127.0.0.1:${(provider.address() as import("node:net").AddressInfo).port}/v1`,
    });
  });
  afterAll(async () => {
    await pipeline?.close();
    await new Promise<void>((resolve) => provider.close(() => resolve()));
  });

  it("keeps the provider's sentence and redacts its ids, keys and emails", async () => {
    const { token } = await pipeline.api.signup();
    const id = await pipeline.submit(token, sampleLead());
    const lead = await pipeline.waitForTerminal(token, id);
    expect(lead.workflow.error.code).toBe("LLM_BAD_REQUEST");
    const [attempt] = await pipeline.attempts(token, id);
    expect(attempt.raw_response).toContain("Request refused for organization org-[redacted]");
    for (const secret of ["Zx81LmQp0aRT", "proj_5fGh", "req_8a7d", "AbC123dEf456", "owner@acme.example"]) {
      expect(attempt.raw_response).not.toContain(secret);
    }
  });
});
