import { Writable } from "node:stream";
import { createLogger } from "@leadflow/core/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead } from "./support/api.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";

let pipeline: Pipeline;
let token: string;
let leadId: string;
beforeAll(async () => {
  pipeline = await startPipeline("observability");
  token = (await pipeline.api.signup()).token;
  leadId = await pipeline.submit(token, sampleLead());
  await pipeline.waitForTerminal(token, leadId);
  const failed = await pipeline.submit(token, sampleLead({ message: "x [[sim classify=http_401]]" }));
  await pipeline.waitForTerminal(token, failed);
});
afterAll(() => pipeline.close());

describe("metrics", () => {
  it("the API serves Prometheus text with requests by route pattern, never by lead id", async () => {
    await pipeline.api.call("GET", `/leads/${leadId}`, { token });
    const res = await pipeline.api.call("GET", "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/plain/);
    expect(res.text).toMatch(
      /leadflow_http_request_duration_seconds_count\{method="GET",route="\/leads\/:id",status="200"\} \d+/,
    );
    expect(res.text).not.toContain(leadId);
    expect(res.text).toMatch(/leadflow_leads_accepted_total\{replayed="false"\} 2/);
  });

  it("the worker serves step outcomes by code, model latency and tokens, and queue depth on its own port", async () => {
    const port = pipeline.worker.metrics.port();
    expect(port).toBeGreaterThan(0);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/leadflow_step_outcomes_total\{step="route",outcome="completed",code="none"\} 1/);
    expect(text).toMatch(
      /leadflow_step_outcomes_total\{step="classify",outcome="failed",code="LLM_AUTH"\} 1/,
    );
    expect(text).toMatch(/leadflow_llm_call_duration_seconds_count\{step="extract",outcome="ok"\} 1/);
    expect(text).toMatch(/leadflow_llm_tokens_total\{step="classify",kind="prompt"\} [1-9]/);
    expect(text).toMatch(
      /leadflow_step_duration_seconds_bucket\{le="\+Inf",step="classify",outcome="completed"\} 1/,
    );
    expect(text).toMatch(/leadflow_queue_jobs\{step="classify",state="waiting"\} 0/);
    expect(text).toMatch(/leadflow_queue_oldest_waiting_age_seconds\{step="route"\} 0/);
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
