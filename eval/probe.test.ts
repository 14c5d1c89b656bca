import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../functions/simulator/server.ts";
import { probeEndpoint, verdict } from "./probe.ts";

describe("npm run probe against the simulator", () => {
  let simulator: Simulator;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.close());
  const target = () => ({
    baseURL: simulator.url,
    apiKey: "probe",
    model: "leadflow-simulator",
    timeoutMs: 5_000,
  });

  it("finds an enforcing server: the out-of-enum ask still gets an answer inside the schema", async () => {
    simulator.configure({
      schemaMode: "enforcing",
      outputCeilingParams: ["max_completion_tokens", "max_tokens"],
    });
    const result = await probeEndpoint(target());
    expect(result).toMatchObject({
      answers: true,
      acceptsStrictSchema: true,
      ceilingParams: ["max_completion_tokens", "max_tokens"],
      enforcement: "server_enforced",
    });
    const { usable, lines } = verdict(result);
    expect(usable).toBe(true);
    expect(lines).toContain("  LLM_MAX_TOKENS_PARAM=max_completion_tokens");
  });

  it("finds a non-enforcing server: only leadflow's validation catches the category outside the enum", async () => {
    simulator.configure({ schemaMode: "non_enforcing" });
    const result = await probeEndpoint(target());
    expect(result.enforcement).toBe("validation_only");
    expect(JSON.parse(result.tempted!.answer!).category).toBe("vip_priority");
    expect(result.tempted!.validationErrors.join(" ")).toMatch(/category/);
    expect(verdict(result).lines.join("\n")).toContain("schema enforcement: NO");
  });

  it("finds which output-ceiling field a server takes, and says to use max_tokens when it knows only that", async () => {
    simulator.configure({ schemaMode: "enforcing", outputCeilingParams: ["max_tokens"] });
    const result = await probeEndpoint(target());
    expect(result.ceilingParams).toEqual(["max_tokens"]);
    expect(verdict(result).lines).toContain("  LLM_MAX_TOKENS_PARAM=max_tokens");
    simulator.configure({ outputCeilingParams: ["max_completion_tokens", "max_tokens"] });
  });

  it("says an endpoint that does not answer is not usable", async () => {
    const closed = await startSimulator();
    const url = closed.url;
    await closed.close();
    const result = await probeEndpoint({ ...target(), baseURL: url });
    expect(result.answers).toBe(false);
    expect(result.enforcement).toBe("not_tested");
    expect(verdict(result).usable).toBe(false);
  });
});
