import { classification } from "@leadflow/core/schemas/classification";
import { leadBlock } from "@leadflow/core/steps/prompt";
import { zodResponseFormat } from "openai/helpers/zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "./server.ts";

/** A raw Chat Completions body for the classify step: the server is tested over plain HTTP here. */
function classifyBody(message: string) {
  const lead = { name: "Lee", contact_channel: "webchat" as const, contact: null, message };
  return {
    model: "whatever",
    messages: [{ role: "user", content: leadBlock(lead) }],
    response_format: zodResponseFormat(classification, "classify"),
  };
}

const post = (base: string, path: string, body: unknown, init: RequestInit = {}) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });

describe("simulator HTTP surface", () => {
  let sim: Simulator;
  let root: string;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    root = sim.url.replace(/\/v1$/, "");
  });
  afterAll(() => sim.close());

  it("listens on a random port and reports a /v1 base URL", () => {
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}/v1`);
  });

  it("answers health and model listing", async () => {
    expect(await (await fetch(`${root}/healthz`)).json()).toEqual({ status: "ok" });
    const models = await (await fetch(`${sim.url}/models`)).json();
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(["leadflow-simulator"]);
  });

  it("answers in the OpenAI chat.completion shape", async () => {
    const res = await post(sim.url, "/chat/completions", classifyBody("How much is a haircut on Saturday?"));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: "chat.completion",
      created: expect.any(Number),
      model: "leadflow-simulator",
      choices: [{ index: 0, message: { role: "assistant", refusal: null }, finish_reason: "stop" }],
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        total_tokens: expect.any(Number),
      },
    });
    expect(classification.parse(JSON.parse(body.choices[0].message.content)).category).toBe("sales_new");
  });

  it("answers a refusal with null content", async () => {
    const body = await (
      await post(sim.url, "/chat/completions", classifyBody("Hi [[sim classify=refusal]]"))
    ).json();
    expect(body.choices[0].message).toEqual({
      role: "assistant",
      content: null,
      refusal: "I'm sorry, but I can't help with that request.",
    });
  });

  it.each([
    ["no response_format", { messages: [{ role: "user", content: "hi" }] }],
    [
      "an unknown step name",
      { ...classifyBody("hi"), response_format: zodResponseFormat(classification, "summarise") },
    ],
    ["a bad directive", classifyBody("hi [[sim classify=explode]]")],
  ])("refuses a request with %s as a 400 in the OpenAI error shape", async (_label, body) => {
    const res = await post(sim.url, "/chat/completions", body);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({
      type: "invalid_request_error",
      message: expect.any(String),
    });
  });

  it("refuses a body that is not JSON, and unknown routes", async () => {
    const notJson = await fetch(`${sim.url}/chat/completions`, { method: "POST", body: "{nope" });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${sim.url}/embeddings`)).status).toBe(404);
  });
});

describe("random fault mix, configuration and stats", () => {
  let sim: Simulator;
  let root: string;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, faultRates: { http_500: 1 } });
    root = sim.url.replace(/\/v1$/, "");
  });
  afterAll(() => sim.close());

  it("applies the start options, follows POST /_simulator/config, and counts by step and fault", async () => {
    expect((await post(sim.url, "/chat/completions", classifyBody("Quote for painting please"))).status).toBe(
      500,
    );

    const update = await post(root, "/_simulator/config", { faultRates: { http_503: 1 } });
    expect(update.status).toBe(200);
    expect((await update.json()).settings.faultRates).toEqual({ http_503: 1 });
    expect((await post(sim.url, "/chat/completions", classifyBody("Quote for painting please"))).status).toBe(
      503,
    );

    sim.configure({ faultRates: {} });
    expect((await post(sim.url, "/chat/completions", classifyBody("Quote for painting please"))).status).toBe(
      200,
    );

    const stats = await (await fetch(`${root}/_simulator/stats`)).json();
    expect(stats).toEqual(sim.stats());
    expect(stats.requests).toBe(3);
    expect(stats.byStep).toEqual({ classify: 3, extract: 0, route: 0 });
    expect(stats.byFault).toMatchObject({ http_500: 1, http_503: 1, none: 1, bad_enum: 0 });
  });

  it("refuses invalid settings and keeps the old ones", async () => {
    sim.configure({ faultRates: { http_500: 1 } });
    const res = await post(root, "/_simulator/config", { faultRates: { http_500: 0.8, hang: 0.5 } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain("at most 1");
    expect(() => sim.configure({ faultRates: { explode: 0.1 } as never })).toThrow();
    expect((await post(sim.url, "/chat/completions", classifyBody("Quote?"))).status).toBe(500);
  });

  it("a message's directive wins over the random mix for the steps it names", async () => {
    sim.configure({ faultRates: { http_500: 1 } });
    const res = await post(sim.url, "/chat/completions", classifyBody("Quote? [[sim classify=empty*1]]"));
    expect(res.status).toBe(200);
    expect((await res.json()).choices[0].message.content).toBe("");
    // Once the directive's sequence is used up the step answers normally, still ignoring the mix.
    expect(
      (await post(sim.url, "/chat/completions", classifyBody("Quote? [[sim classify=empty*1]]"))).status,
    ).toBe(200);
  });

  it("replays the same mix from the same seed", async () => {
    const statuses = async () => {
      sim.configure({ faultRates: { http_500: 0.3, http_429: 0.2 }, seed: 99 });
      const out: number[] = [];
      for (let i = 0; i < 25; i++)
        out.push((await post(sim.url, "/chat/completions", classifyBody(`Quote ${i}`))).status);
      return out;
    };
    const first = await statuses();
    expect(new Set(first)).toEqual(new Set([200, 429, 500]));
    expect(await statuses()).toEqual(first);
  });
});

describe("latency and shutdown", () => {
  it("delays answers by the configured latency", async () => {
    const sim = await startSimulator({ port: 0, latencyMs: { min: 150, max: 200 } });
    try {
      const started = Date.now();
      expect((await post(sim.url, "/chat/completions", classifyBody("Quote for tutoring"))).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await sim.close();
    }
  });

  it("close() drops hanging and delayed answers at once", async () => {
    // Both calls are held once the simulator has seen them: close() must not wait for either (the delayed one
    // would answer after this case's timeout, the hanging one never).
    let seen = 0;
    let bothSeen!: () => void;
    const held = new Promise<void>((resolve) => {
      bothSeen = resolve;
    });
    const sim = await startSimulator({
      port: 0,
      onCall: () => {
        if (++seen === 2) bothSeen();
      },
    });
    // Settled into values at once, so the expected rejections are never unhandled while close() runs.
    const fate = (p: Promise<Response>) =>
      p.then(
        () => "answered",
        () => "dropped",
      );
    const hanging = fate(post(sim.url, "/chat/completions", classifyBody("Hi [[sim classify=hang]]")));
    const delayed = fate(post(sim.url, "/chat/completions", classifyBody("Hi [[sim delay=60000]]")));
    await held;
    await sim.close();
    expect(await hanging).toBe("dropped");
    expect(await delayed).toBe("dropped");
  });
});
