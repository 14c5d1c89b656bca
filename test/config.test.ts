import { loadConfig } from "@leadflow/core/config";
import { describe, expect, it } from "vitest";

describe("configuration", () => {
  it("requires a JWT secret of at least 32 bytes in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/JWT_SECRET: required in production/);
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: "short-secret" })).toThrow(
      /at least 32 bytes/,
    );
    const ok = loadConfig({ NODE_ENV: "production", JWT_SECRET: "x".repeat(32) });
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
