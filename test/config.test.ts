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
});
