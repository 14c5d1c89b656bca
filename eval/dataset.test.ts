import { describe, expect, it } from "vitest";
import { DatasetError, loadDataset, parseDataset } from "./dataset.ts";

describe("the labelled set", () => {
  it("eval/datasets/leads-v1.jsonl validates against the dataset schema: 290 cases, unique ids", async () => {
    const cases = await loadDataset("eval/datasets/leads-v1.jsonl");
    expect(cases).toHaveLength(290);
    expect(new Set(cases.map((c) => c.id)).size).toBe(290);
  });
});

describe("parseDataset", () => {
  const good = {
    id: "x-1",
    lead: { name: "Ann", contact_channel: "email", message: "Hi" },
    expected: { category: "support", fields: { severity: "high" } },
  };

  it("names every bad line and what is wrong with it", () => {
    const lines = [
      JSON.stringify(good),
      "{not json",
      JSON.stringify({ ...good, id: "x-2", expected: { category: "sales_new", priority: ["p9"] } }),
      JSON.stringify({ ...good, id: "x-3", expected: { category: "spam", fields: { severity: "high" } } }),
      JSON.stringify(good),
    ].join("\n");
    let error: unknown;
    try {
      parseDataset(lines, "set.jsonl");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatasetError);
    const message = (error as Error).message;
    expect(message).toContain("set.jsonl:2: not JSON");
    expect(message).toMatch(/set\.jsonl:3: expected\.priority\.0/);
    expect(message).toContain("set.jsonl:4: expected.fields.severity: is a support field");
    expect(message).toContain("set.jsonl:5: duplicate id x-1");
  });

  it("refuses a label of contact_channel (copied by rule) and unknown keys", () => {
    const line = JSON.stringify({
      ...good,
      expected: { category: "support", fields: { contact_channel: "email" } },
    });
    expect(() => parseDataset(line)).toThrow(/contact_channel/);
    expect(() => parseDataset(JSON.stringify({ ...good, note: "x" }))).toThrow(/note/);
  });
});
