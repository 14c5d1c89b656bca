import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";

let pipeline: Pipeline;
let token: string;
beforeAll(async () => {
  pipeline = await startPipeline("handling");
  token = (await pipeline.api.signup()).token;
});
afterAll(() => pipeline.close());

const call = (method: string, path: string, body?: unknown, as = token) =>
  pipeline.api.call(method, path, { token: as, body });

/** A lead whose workflow completed: the AI's routing is known. */
async function routedLead(message = sampleLead().message) {
  const id = await pipeline.submit(token, sampleLead({ message }));
  const lead = await pipeline.waitForTerminal(token, id);
  expect(lead.workflow.status).toBe("completed");
  return lead;
}

const routingOf = (lead: any) =>
  lead.workflow.steps.find((s: any) => s.name === "route").output.routing_decision;
const minutes = (n: number) => n * 60_000;

describe("handling", () => {
  it("moves open → answered → closed → open, keeps the first response and records each move", async () => {
    const lead = await routedLead();
    expect(lead.handling).toMatchObject({ state: "open", first_response_at: null });

    const answered = await call("POST", `/leads/${lead.id}/handling`, {
      state: "answered",
      note: "called back",
    });
    expect(answered.status).toBe(200);
    expect(answered.json.handling.state).toBe("answered");
    const firstResponse = answered.json.handling.first_response_at;
    expect(Date.parse(firstResponse)).toBeGreaterThanOrEqual(Date.parse(lead.created_at));

    const closed = await call("POST", `/leads/${lead.id}/handling`, { state: "closed" });
    expect(closed.json.handling).toMatchObject({ state: "closed", first_response_at: firstResponse });
    const reopened = await call("POST", `/leads/${lead.id}/handling`, { state: "open" });
    expect(reopened.json.handling).toMatchObject({ state: "open", first_response_at: firstResponse });
    const again = await call("POST", `/leads/${lead.id}/handling`, { state: "answered" });
    expect(again.json.handling.first_response_at).toBe(firstResponse);
    // A move to the state it is in changes nothing.
    await call("POST", `/leads/${lead.id}/handling`, { state: "answered" });

    const moves = (await pipeline.events(token, lead.id)).filter((e: any) => e.type === "handling_changed");
    expect(moves.map((e: any) => [e.from, e.to])).toEqual([
      ["open", "answered"],
      ["answered", "closed"],
      ["closed", "open"],
      ["open", "answered"],
    ]);
    expect(moves[0].detail).toEqual({ note: "called back" });
  });

  it("refuses a state or note outside the contract with validation_failed", async () => {
    const routedId = (await routedLead()).id;
    for (const body of [
      { state: "done" },
      {},
      { state: "closed", note: "  " },
      { state: "open", extra: 1 },
    ]) {
      const res = await call("POST", `/leads/${routedId}/handling`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.code).toBe("validation_failed");
    }
    const bad = await call("POST", `/leads/${routedId}/handling`, "{not json");
    expect(bad.json.error.code).toBe("invalid_json");
  });

  it("answers 404 for another user's lead and an id that is not a uuid, and moves nothing", async () => {
    const routedId = (await routedLead()).id;
    expect((await call("POST", `/leads/${routedId}/handling`, { state: "answered" })).status).toBe(200);
    const stranger = await pipeline.api.signup();
    const res = await call("POST", `/leads/${routedId}/handling`, { state: "closed" }, stranger.token);
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("not_found");
    expect((await call("POST", "/leads/nope/handling", { state: "closed" })).status).toBe(404);
    expect((await call("GET", `/leads/${routedId}`)).json.handling.state).toBe("answered");
    const unsigned = await pipeline.api.call("POST", `/leads/${routedId}/handling`, {
      body: { state: "open" },
    });
    expect(unsigned.status).toBe(401);
  });
});

describe("corrections", () => {
  it("stores only what changes, from the effective value, and every view uses the effective routing", async () => {
    const lead = await routedLead();
    const ai = routingOf(lead);
    expect(lead.effective).toMatchObject({
      queue: ai.queue,
      priority: ai.priority,
      sla_minutes: ai.sla_minutes,
      corrected: false,
    });
    expect(Date.parse(lead.effective.due_at)).toBe(Date.parse(lead.created_at) + minutes(ai.sla_minutes));

    const queue = ai.queue === "support" ? "sales" : "support";
    const first = await call("POST", `/leads/${lead.id}/corrections`, {
      queue,
      priority: "p0",
      sla_minutes: 15,
      category: lead.category,
      reason: "VIP customer",
    });
    expect(first.status).toBe(201);
    expect(first.json.changes).toEqual({
      queue: { from: ai.queue, to: queue },
      ...(ai.priority === "p0" ? {} : { priority: { from: ai.priority, to: "p0" } }),
      sla_minutes: { from: ai.sla_minutes, to: 15 },
    });
    expect(first.json.changes.category).toBeUndefined();

    const second = await call("POST", `/leads/${lead.id}/corrections`, { sla_minutes: 30, reason: "softer" });
    expect(second.json.changes).toEqual({ sla_minutes: { from: 15, to: 30 } });

    const detail = (await call("GET", `/leads/${lead.id}`)).json;
    expect(detail.effective).toMatchObject({ queue, priority: "p0", sla_minutes: 30, corrected: true });
    expect(Date.parse(detail.effective.due_at)).toBe(Date.parse(lead.created_at) + minutes(30));
    expect(detail.corrections.map((c: any) => c.id)).toEqual([first.json.id, second.json.id]);
    expect(detail.corrections[0]).toEqual(first.json);
    // The AI's own decision is kept as it was.
    expect(routingOf(detail)).toEqual(ai);
    expect(detail).toMatchObject({ queue, priority: "p0", sla_minutes: 30 });

    const listed = (await call("GET", `/leads?queue=${queue}&priority=p0`)).json.items;
    expect(listed.find((i: any) => i.id === lead.id)).toMatchObject({
      queue,
      priority: "p0",
      sla_minutes: 30,
    });
    const byAiQueue = (await call("GET", `/leads?queue=${ai.queue}`)).json.items;
    expect(byAiQueue.some((i: any) => i.id === lead.id)).toBe(false);

    const events = (await pipeline.events(token, lead.id)).filter((e: any) => e.type === "corrected");
    expect(events.map((e: any) => e.detail.correction_id)).toEqual([first.json.id, second.json.id]);
    expect(events[1].detail).toMatchObject({ changes: second.json.changes, reason: "softer" });
  });

  it("validates a correction against the AI's enums and bounds, as a whole, and writes nothing when refused", async () => {
    const lead = await routedLead();
    const ai = routingOf(lead);
    const refused = [
      { queue: "vip", reason: "r" },
      { priority: "p9", reason: "r" },
      { category: "urgent", reason: "r" },
      { sla_minutes: 0, reason: "r" },
      { sla_minutes: 12.5, reason: "r" },
      { queue: "sales" },
      { queue: "sales", reason: "" },
      { queue: "sales", reason: "x".repeat(501) },
      { reason: "nothing to change" },
      // Every field already has that value.
      { queue: ai.queue, priority: ai.priority, reason: "same" },
      // p0's window is 5-60 minutes: the resulting pair is what is judged.
      { priority: "p0", sla_minutes: 120, reason: "too slow for p0" },
      { priority: "p2", sla_minutes: 30, reason: "too fast for p2" },
    ];
    for (const body of refused) {
      const res = await call("POST", `/leads/${lead.id}/corrections`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.code).toBe("validation_failed");
      expect(res.json.error.details.length).toBeGreaterThan(0);
    }
    // A priority alone is judged against the SLA it would keep.
    const keptSla = ai.sla_minutes;
    const mismatched = keptSla > 60 ? "p0" : "p2";
    const alone = await call("POST", `/leads/${lead.id}/corrections`, { priority: mismatched, reason: "r" });
    expect(alone.status).toBe(400);
    expect(alone.json.error.details[0].path).toBe("sla_minutes");
    const detail = (await call("GET", `/leads/${lead.id}`)).json;
    expect(detail.corrections).toEqual([]);
    expect(detail.effective.corrected).toBe(false);
  });

  it("routes a failed workflow by hand: due as a p1 an hour after arrival until corrected", async () => {
    const id = await pipeline.submit(token, sampleLead({ message: "x [[sim classify=http_401]]" }));
    const failed = await pipeline.waitForTerminal(token, id);
    expect(failed.workflow.status).toBe("failed");
    expect(failed.effective).toMatchObject({ category: null, queue: null, priority: null, sla_minutes: 60 });
    expect(Date.parse(failed.effective.due_at)).toBe(Date.parse(failed.created_at) + minutes(60));

    const res = await call("POST", `/leads/${id}/corrections`, {
      category: "sales_new",
      queue: "sales",
      priority: "p2",
      sla_minutes: 240,
      reason: "the model was down; a quote request",
    });
    expect(res.status).toBe(201);
    expect(res.json.changes).toEqual({
      category: { from: null, to: "sales_new" },
      queue: { from: null, to: "sales" },
      priority: { from: null, to: "p2" },
      sla_minutes: { from: 60, to: 240 },
    });
    const detail = (await call("GET", `/leads/${id}`)).json;
    expect(detail.effective).toMatchObject({
      category: "sales_new",
      queue: "sales",
      priority: "p2",
      sla_minutes: 240,
      corrected: true,
    });
    expect(detail.workflow.status).toBe("failed");
  });

  it("answers 404 for another user's lead and writes nothing", async () => {
    const routedId = (await routedLead()).id;
    const stranger = await pipeline.api.signup();
    const res = await call(
      "POST",
      `/leads/${routedId}/corrections`,
      { queue: "ignore", reason: "not mine" },
      stranger.token,
    );
    expect(res.status).toBe(404);
    expect((await call("GET", `/leads/${routedId}`)).json.corrections).toEqual([]);
  });

  it("keeps every correction as written: PostgreSQL refuses to edit one, even for the tables' owner", async () => {
    const lead = await routedLead();
    const made = await call("POST", `/leads/${lead.id}/corrections`, {
      queue: "ignore",
      reason: "spam really",
    });
    expect(made.status).toBe(201);
    const client = new pg.Client({ connectionString: fileEnv("DATABASE_URL") });
    await client.connect();
    try {
      await expect(
        client.query("update lead_corrections set reason = 'edited' where id = $1", [made.json.id]),
      ).rejects.toThrow(/never edited/);
      await client.query("begin");
      await client.query("set local role leadflow_api");
      await client.query("select set_config('app.user_id', $1, true)", [made.json.id]);
      await expect(client.query("delete from lead_corrections")).rejects.toThrow(/permission denied/);
      await client.query("rollback");
    } finally {
      await client.end();
    }
    expect((await call("GET", `/leads/${lead.id}`)).json.corrections[0].reason).toBe("spam really");
  });
});

it("documents the handling and correction routes in /openapi.json from their schemas", async () => {
  const doc = (await pipeline.api.call("GET", "/openapi.json")).json;
  const correction = doc.paths["/leads/{id}/corrections"].post;
  expect(Object.keys(correction.requestBody.content["application/json"].schema.properties)).toEqual(
    expect.arrayContaining(["category", "queue", "priority", "sla_minutes", "reason"]),
  );
  expect(doc.paths["/leads/{id}/handling"].post.responses["200"]).toBeDefined();
  // The routes written by hand are still there.
  expect(doc.paths["/leads/{id}"].get).toBeDefined();
});
