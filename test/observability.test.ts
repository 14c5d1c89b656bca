import { Writable } from "node:stream";
import { createLogger } from "@leadflow/core/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead } from "./support/api.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";

let pipeline: Pipeline;
let token: string;
let leadId: string;
let failedId: string;
beforeAll(async () => {
  pipeline = await startPipeline("observability");
  token = (await pipeline.api.signup()).token;
  leadId = await pipeline.submit(token, sampleLead());
  await pipeline.waitForTerminal(token, leadId);
  failedId = await pipeline.submit(token, sampleLead({ message: "x [[sim classify=http_401]]" }));
  await pipeline.waitForTerminal(token, failedId);
});

/** The value of one series, matched on its whole line, so `} 1` can never be read out of `} 12`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
afterAll(() => pipeline.close());

describe("metrics", () => {
  it("the API serves Prometheus text with requests by route pattern, never by lead id", async () => {
    const series =
      'leadflow_http_request_duration_seconds_count{method="GET",route="/leads/:id",status="200"}';
    const before = sample((await pipeline.api.call("GET", "/metrics")).text, series) ?? 0;
    await pipeline.api.call("GET", `/leads/${leadId}`, { token });
    const res = await pipeline.api.call("GET", "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/plain/);
    expect(sample(res.text, series)).toBe(before + 1);
    expect(res.text).not.toContain(leadId);
    expect(sample(res.text, 'leadflow_leads_accepted_total{replayed="false"}')).toBe(2);
  });

  it("the worker serves step outcomes by code, model latency and tokens, and queue depth on its own port", async () => {
    const port = pipeline.worker.metrics.port();
    expect(port).toBeGreaterThan(0);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(sample(text, 'leadflow_step_outcomes_total{step="route",outcome="completed",code="none"}')).toBe(
      1,
    );
    expect(
      sample(text, 'leadflow_step_outcomes_total{step="classify",outcome="failed",code="LLM_AUTH"}'),
    ).toBe(1);
    expect(sample(text, 'leadflow_llm_call_duration_seconds_count{step="extract",outcome="ok"}')).toBe(1);
    // The tokens the model reported on the attempts the API shows, summed: the counter adds exactly those.
    const classifyAttempts = [
      ...(await pipeline.attempts(token, leadId)),
      ...(await pipeline.attempts(token, failedId)),
    ].filter((a: any) => a.step === "classify");
    const promptTokens = classifyAttempts.reduce((sum: number, a: any) => sum + (a.tokens?.prompt ?? 0), 0);
    expect(promptTokens).toBeGreaterThan(0);
    expect(sample(text, 'leadflow_llm_tokens_total{step="classify",kind="prompt"}')).toBe(promptTokens);
    expect(
      sample(text, 'leadflow_step_duration_seconds_bucket{le="+Inf",step="classify",outcome="completed"}'),
    ).toBe(1);
    expect(sample(text, 'leadflow_queue_jobs{step="classify",state="waiting"}')).toBe(0);
    expect(sample(text, 'leadflow_queue_oldest_waiting_age_seconds{step="route"}')).toBe(0);
  });
});

describe("logs", () => {
  it("are JSON and redact secrets and message bodies whatever the caller passes", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: "info", name: "redaction-test" }, sink);
    log.info(
      {
        request_id: "r-1",
        password: "hunter2hunter2",
        headers: { authorization: "Bearer eyJsecret" },
        access_token: "eyJtoken",
        lead: { message: "my phone is 555-0100" },
        apiKey: "sk-live-123",
      },
      "something happened",
    );
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ request_id: "r-1", msg: "something happened", service: "redaction-test" });
    const text = lines.join("");
    for (const secret of ["hunter2hunter2", "eyJsecret", "eyJtoken", "555-0100", "sk-live-123"]) {
      expect(text).not.toContain(secret);
    }
  });
});
