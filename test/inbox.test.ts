import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";

let pipeline: Pipeline;
let db: pg.Client;

/** A user's five leads: one due in two days, a breached p0, a failed workflow, and a p1 and a p0 due together. */
interface Queue {
  token: string;
  lead: { later: string; breached: string; failed: string; p1: string; p0: string };
}

const call = (method: string, path: string, as: string, body?: unknown) =>
  pipeline.api.call(method, path, { token: as, body });

async function routed(token: string, message = sampleLead().message) {
  const id = await pipeline.submit(token, sampleLead({ message }));
  const detail = await pipeline.waitForTerminal(token, id);
  return { id, detail };
}

async function correct(token: string, id: string, body: Record<string, unknown>) {
  const res = await call("POST", `/leads/${id}/corrections`, token, { reason: "set up", ...body });
  if (res.status !== 201) throw new Error(`correction failed: ${res.status} ${res.text}`);
}

/** Moves a lead's arrival (both copies) to `at`: how a test gets a lead whose due time has already passed. */
async function arrivedAt(id: string, at: Date) {
  await db.query("update leads set created_at = $2 where id = $1", [id, at]);
  await db.query("update workflows set lead_created_at = $2 where lead_id = $1", [id, at]);
}

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

/** A new user's queue, so a case that moves or adds leads changes no other case's. */
async function queue(): Promise<Queue> {
  const token = (await pipeline.api.signup()).token;
  const later = (await routed(token)).id;
  await correct(token, later, { queue: "sales", priority: "p2", sla_minutes: 2880 });
  const breached = (await routed(token)).id;
  await correct(token, breached, { queue: "support", priority: "p0", sla_minutes: 5 });
  await arrivedAt(breached, hoursAgo(1));
  const failedId = await pipeline.submit(token, sampleLead({ message: "x [[sim classify=http_401]]" }));
  const failed = await pipeline.waitForTerminal(token, failedId);
  expect(failed.workflow.status).toBe("failed");
  const p1 = (await routed(token)).id;
  await correct(token, p1, { queue: "sales", priority: "p1", sla_minutes: 60 });
  const p0 = (await routed(token)).id;
  await correct(token, p0, { queue: "support", priority: "p0", sla_minutes: 60 });
  // The same arrival and SLA: due at the same moment, so priority decides.
  const arrival = new Date(failed.created_at);
  await arrivedAt(p1, arrival);
  await arrivedAt(p0, arrival);
  return { token, lead: { later, breached, failed: failedId, p1, p0 } };
}

// Read by the cases that only read it; the cases that change a queue make their own.
let shared: Queue;
beforeAll(async () => {
  pipeline = await startPipeline("inbox");
  db = new pg.Client({ connectionString: fileEnv("DATABASE_URL") });
  await db.connect();
  shared = await queue();
});
afterAll(async () => {
  await db.end();
  await pipeline.close();
});

describe("GET /inbox", () => {
  it("orders open leads by due_at then priority across queues, breached first, a failed workflow among them", async () => {
    const { token, lead } = shared;
    const res = await call("GET", "/inbox", token);
    expect(res.status).toBe(200);
    const ids = res.json.items.map((i: any) => i.id);
    const tied = [lead.failed, lead.p1].sort();
    expect(ids).toEqual([lead.breached, lead.p0, ...tied, lead.later]);

    const byId = Object.fromEntries(res.json.items.map((i: any) => [i.id, i]));
    expect(byId[lead.breached]).toMatchObject({
      queue: "support",
      priority: "p0",
      sla_minutes: 5,
      breached: true,
      state: "open",
      corrected: true,
      workflow_status: "completed",
    });
    expect(Date.parse(byId[lead.breached].due_at)).toBe(
      Date.parse(byId[lead.breached].created_at) + 5 * 60_000,
    );
    expect(byId[lead.failed]).toMatchObject({
      queue: null,
      priority: null,
      sla_minutes: 60,
      breached: false,
      corrected: false,
      workflow_status: "failed",
    });
    expect(Date.parse(byId[lead.failed].due_at)).toBe(Date.parse(byId[lead.failed].created_at) + 3_600_000);
    expect(byId[lead.later].breached).toBe(false);
  });

  it("walks cursor pages with no gaps or repeats", async () => {
    const { token } = shared;
    const all = (await call("GET", "/inbox", token)).json.items.map((i: any) => i.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call("GET", `/inbox?limit=2${cursor ? `&cursor=${cursor}` : ""}`, token);
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.items.map((i: any) => i.id));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it("filters by effective queue, and `failed` lists the failed workflows nobody routed", async () => {
    const { token, lead } = shared;
    const support = (await call("GET", "/inbox?queue=support", token)).json.items.map((i: any) => i.id);
    expect(support).toEqual([lead.breached, lead.p0]);
    const failed = (await call("GET", "/inbox?queue=failed", token)).json.items.map((i: any) => i.id);
    expect(failed).toEqual([lead.failed]);
  });

  it("answering a lead moves it from the open inbox to the answered one, still breached when late", async () => {
    const { token, lead } = await queue();
    await call("POST", `/leads/${lead.breached}/handling`, token, { state: "answered" });
    const open = (await call("GET", "/inbox", token)).json.items.map((i: any) => i.id);
    expect(open).not.toContain(lead.breached);
    const answered = (await call("GET", "/inbox?state=answered", token)).json.items;
    expect(answered.map((i: any) => [i.id, i.breached, i.state])).toEqual([
      [lead.breached, true, "answered"],
    ]);
  });

  it("is documented in /openapi.json from its schema", async () => {
    const doc = (await pipeline.api.call("GET", "/openapi.json")).json;
    const names = doc.paths["/inbox"].get.parameters.map((p: any) => p.name);
    expect(names).toEqual(expect.arrayContaining(["queue", "state", "limit", "cursor"]));
  });

  it("refuses bad parameters with validation_failed and shows another user nothing", async () => {
    for (const query of ["queue=vip", "state=done", "limit=0", "limit=101", "cursor=bm9wZQ", "x=1"]) {
      const res = await call("GET", `/inbox?${query}`, shared.token);
      expect(res.status, query).toBe(400);
      expect(res.json.error.code).toBe("validation_failed");
    }
    const stranger = await pipeline.api.signup();
    const res = await call("GET", "/inbox", stranger.token);
    expect(res.json).toEqual({ items: [], next_cursor: null });
    expect((await pipeline.api.call("GET", "/inbox")).status).toBe(401);
  });
});

describe("GET /stats: working the queues", () => {
  it("reports first-response minutes, the SLA breach rate and the correction rate by the AI's category", async () => {
    const { token, lead } = await queue();
    // The breached lead answered late, about an hour after it arrived.
    await call("POST", `/leads/${lead.breached}/handling`, token, { state: "answered" });
    // One more judged lead, answered ten minutes after it arrived (five hours ago), inside its 4-hour SLA.
    const onTime = await routed(token);
    await correct(token, onTime.id, { queue: "sales", priority: "p1", sla_minutes: 240 });
    await arrivedAt(onTime.id, hoursAgo(5));
    await call("POST", `/leads/${onTime.id}/handling`, token, { state: "answered" });
    await db.query(
      "update workflows set first_response_at = lead_created_at + interval '10 minutes' where lead_id = $1",
      [onTime.id],
    );
    // And one the AI routed that nobody corrected.
    const untouched = await routed(token);

    const stats = (await call("GET", "/stats?period=7d", token)).json;
    // The breached lead was answered about an hour after it arrived; the on-time one after ten minutes.
    expect(stats.first_response_minutes.answered).toBe(2);
    expect(stats.first_response_minutes.p50).toBeGreaterThan(34);
    expect(stats.first_response_minutes.p50).toBeLessThan(40);
    expect(stats.first_response_minutes.p90).toBeGreaterThan(stats.first_response_minutes.p50);
    // Judged: the two whose due time has passed; the breached one was late.
    expect(stats.sla_breach_rate).toBe(0.5);
    expect(stats.sla_breach_by_priority).toEqual([
      { key: "p0", due: 1, rate: 1 },
      { key: "p1", due: 1, rate: 0 },
    ]);
    const aiCategory = untouched.detail.category;
    // Five routed leads corrected, one not; the failed one has no AI category.
    expect(stats.correction_rate_by_category).toEqual({ [aiCategory]: 5 / 6 });
    // The effective values are what the counts use.
    const support = stats.by_queue.find((q: any) => q.key === "support");
    expect(support.count).toBe(2);
    const waitingFailed = stats.waiting_by_queue.find((q: any) => q.key === null);
    expect(waitingFailed).toEqual({ key: null, count: 1, overdue: 0 });
  });
});
