import { loadConfig } from "@leadflow/core/config";
import { describe, expect, it } from "vitest";

describe("configuration", () => {
  it("requires a JWT secret of at least 32 bytes in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/JWT_SECRET: required in production/);
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: "short-secret" })).toThrow(
      /at least 32 bytes/,
    );
    const ok = loadConfig({ NODE_ENV: "production", JWT_SECRET: "x".repeat(32), OPENAI_API_KEY: "sk-test" });
    expect(ok.JWT_SECRET).toHaveLength(32);
  });

  it("uses the simulator without an API key and OpenAI with one", () => {
    expect(loadConfig({}).llm).toMatchObject({ provider: "simulator", model: "leadflow-simulator" });
    expect(loadConfig({ OPENAI_API_KEY: "sk-test" }).llm).toMatchObject({
      provider: "openai",
      apiKey: "sk-test",
    });
  });

  it("lists every bad value at once", () => {
    expect(() => loadConfig({ API_PORT: "http", STEP_MAX_ATTEMPTS: "0" })).toThrow(
      /API_PORT[\s\S]*STEP_MAX_ATTEMPTS/,
    );
  });

  it("counts rate limits in Redis, or in PostgreSQL where the queue is SQS (no Redis on Lambda)", () => {
    const sqs = {
      QUEUE_DRIVER: "sqs",
      SQS_QUEUE_URL_CLASSIFY: "https://sqs.eu-west-1.amazonaws.com/123456789012/classify",
      SQS_QUEUE_URL_EXTRACT: "https://sqs.eu-west-1.amazonaws.com/123456789012/extract",
      SQS_QUEUE_URL_ROUTE: "https://sqs.eu-west-1.amazonaws.com/123456789012/route",
    };
    expect(loadConfig({}).RATE_LIMIT_STORE).toBe("redis");
    expect(loadConfig(sqs).RATE_LIMIT_STORE).toBe("postgres");
    expect(loadConfig({ RATE_LIMIT_STORE: "postgres" }).RATE_LIMIT_STORE).toBe("postgres");
    expect(loadConfig({ ...sqs, RATE_LIMIT_STORE: "redis" }).RATE_LIMIT_STORE).toBe("redis");
    expect(() => loadConfig({ RATE_LIMIT_STORE: "memcached" })).toThrow(/RATE_LIMIT_STORE/);
  });
});

describe("configuration that would expose the system", () => {
  it("refuses the development JWT secret unless the API listens on loopback", () => {
    expect(loadConfig({ API_HOST: "127.0.0.1" }).JWT_SECRET).toMatch(/development/);
    expect(loadConfig({ API_HOST: "::1" }).API_HOST).toBe("::1");
    for (const host of ["0.0.0.0", "::", "192.0.2.10"]) {
      expect(() => loadConfig({ API_HOST: host })).toThrow(/JWT_SECRET: the development secret is refused/);
      expect(() =>
        loadConfig({ API_HOST: host, JWT_SECRET: "leadflow-development-secret-do-not-use-in-production" }),
      ).toThrow(/JWT_SECRET: the development secret is refused/);
    }
    expect(loadConfig({ API_HOST: "0.0.0.0", JWT_SECRET: "z".repeat(32) }).API_HOST).toBe("0.0.0.0");
  });

  it("refuses the simulator in production without ALLOW_SIMULATOR_IN_PRODUCTION=true", () => {
    const production = { NODE_ENV: "production", JWT_SECRET: "p".repeat(32) };
    expect(() => loadConfig(production)).toThrow(/ALLOW_SIMULATOR_IN_PRODUCTION/);
    expect(() => loadConfig({ ...production, LLM_PROVIDER: "simulator" })).toThrow(
      /ALLOW_SIMULATOR_IN_PRODUCTION/,
    );
    // A real provider pointed at the simulator's address is the simulator too.
    expect(() =>
      loadConfig({
        ...production,
        LLM_PROVIDER: "openai",
        OPENAI_API_KEY: "sk-real",
        SIMULATOR_URL: "http://simulator:4010/v1",
        OPENAI_BASE_URL: "http://simulator:4010/v1",
      }),
    ).toThrow(/ALLOW_SIMULATOR_IN_PRODUCTION/);
    expect(loadConfig({ ...production, ALLOW_SIMULATOR_IN_PRODUCTION: "true" }).llm.simulated).toBe(true);
    expect(loadConfig({ ...production, OPENAI_API_KEY: "sk-real" }).llm.simulated).toBe(false);
  });

  it("points only the simulator at the simulator: a real provider keeps its own base URL", () => {
    const compose = { SIMULATOR_URL: "http://simulator:4010/v1" };
    expect(loadConfig(compose).llm).toMatchObject({ baseURL: "http://simulator:4010/v1", simulated: true });
    const openai = loadConfig({ ...compose, LLM_PROVIDER: "openai", OPENAI_API_KEY: "sk-real" }).llm;
    expect(openai).toMatchObject({ provider: "openai", simulated: false });
    expect(openai.baseURL).toBeUndefined();
    const local = loadConfig({ LLM_PROVIDER: "openai", OPENAI_BASE_URL: "http://127.0.0.1:4010/v1" }).llm;
    expect(local.simulated).toBe(true);
  });

  it("bounds JWT_TTL_SECONDS at a day", () => {
    expect(loadConfig({ JWT_TTL_SECONDS: "86400" }).JWT_TTL_SECONDS).toBe(86_400);
    expect(() => loadConfig({ JWT_TTL_SECONDS: "86401" })).toThrow(/JWT_TTL_SECONDS/);
  });
});
