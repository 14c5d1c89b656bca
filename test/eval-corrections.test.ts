import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { correctedLeadsToDataset, postgresCorrectionSource } from "../eval/corrections.ts";
import { sampleLead } from "./support/api.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";

// `npm run eval:corrections` reads the real lead_corrections table (an operator's export, as the owner login):
// people's corrections of the AI become dataset lines labelled with their final word.
let pipeline: Pipeline;
let owner: pg.Pool;
beforeAll(async () => {
  pipeline = await startPipeline("eval-corrections");
  owner = new pg.Pool({ connectionString: pipeline.api.config.DATABASE_URL, max: 1 });
});
afterAll(async () => {
  await owner.end();
  await pipeline.close();
});

describe("eval:corrections over lead_corrections", () => {
  it("exports the user's corrected leads with the AI's values and each correction, and labels them", async () => {
    const user = await pipeline.api.signup();
    const other = await pipeline.api.signup();
    const corrected = await pipeline.submit(
      user.token,
      sampleLead({ message: "Refund me, the cleaner never came" }),
    );
    const untouched = await pipeline.submit(
      user.token,
      sampleLead({ message: "How much for a deep clean?" }),
    );
    const others = await pipeline.submit(other.token, sampleLead({ message: "Refund please" }));
    for (const [token, id] of [
      [user.token, corrected],
      [user.token, untouched],
      [other.token, others],
    ] as const) {
      expect((await pipeline.waitForTerminal(token, id)).workflow.status).toBe("completed");
    }
    const lead = (await pipeline.api.call("GET", `/leads/${corrected}`, { token: user.token })).json;
    const correct = (as: string, id: string, body: Record<string, unknown>) =>
      pipeline.api.call("POST", `/leads/${id}/corrections`, { token: as, body });
    const category = lead.category === "support" ? "sales_existing" : "support";
    const queue = lead.queue === "support" ? "sales" : "support";
    expect((await correct(user.token, corrected, { category, queue, reason: "a complaint" })).status).toBe(
      201,
    );
    expect(
      (await correct(user.token, corrected, { priority: "p0", sla_minutes: 30, reason: "angry" })).status,
    ).toBe(201);
    const theirs = (await pipeline.api.call("GET", `/leads/${others}`, { token: other.token })).json;
    const theirQueue = theirs.queue === "support" ? "sales" : "support";
    expect((await correct(other.token, others, { queue: theirQueue, reason: "theirs" })).status).toBe(201);

    const exported = await postgresCorrectionSource(owner).correctedLeads(` ${user.email.toUpperCase()} `);
    expect(exported).toHaveLength(1);
    expect(exported[0]).toMatchObject({
      lead_id: corrected,
      lead: { name: lead.name, contact_channel: lead.contact_channel, message: lead.message },
      ai: { category: lead.category, queue: lead.queue, priority: lead.priority },
    });
    expect(exported[0]!.corrections.map((c) => Object.keys(c.changes).sort())).toEqual([
      ["category", "queue"],
      ["priority", "sla_minutes"],
    ]);

    const { cases, skipped } = correctedLeadsToDataset(exported);
    expect(skipped).toEqual([]);
    expect(cases).toEqual([
      {
        id: `correction-${corrected}`,
        lead: expect.objectContaining({ message: lead.message }),
        expected: { category, queue, priority: ["p0"] },
      },
    ]);
  });
});
