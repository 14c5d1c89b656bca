import { describe, expect, it } from "vitest";
import { type CorrectedLead, correctedLeadsToDataset } from "./corrections.ts";
import { parseDataset } from "./dataset.ts";

const lead = (id: string, overrides: Partial<CorrectedLead> = {}): CorrectedLead => ({
  lead_id: id,
  lead: {
    name: "Ann",
    contact_channel: "email",
    message: "The cleaner never came, refund me",
    contact: null,
  },
  ai: { category: "sales_existing", queue: "sales", priority: "p2" },
  corrections: [],
  ...overrides,
});

describe("correctedLeadsToDataset", () => {
  it("labels each lead with the person's last word, keeping the AI's values they left standing", () => {
    const { cases, skipped } = correctedLeadsToDataset([
      lead("a", {
        corrections: [
          {
            changes: {
              category: { from: "sales_existing", to: "support" },
              queue: { from: "sales", to: "support" },
            },
            created_at: "2026-12-01T10:00:00Z",
          },
          {
            changes: { priority: { from: "p2", to: "p1" }, sla_minutes: { from: 1440, to: 120 } },
            created_at: "2026-12-01T11:00:00Z",
          },
          { changes: { priority: { from: "p1", to: "p0" } }, created_at: "2026-12-01T12:00:00Z" },
        ],
      }),
      lead("b", {
        corrections: [
          { changes: { priority: { from: "p2", to: "p1" } }, created_at: "2026-12-01T10:00:00Z" },
        ],
      }),
    ]);
    expect(skipped).toEqual([]);
    expect(cases).toEqual([
      {
        id: "correction-a",
        lead: { name: "Ann", contact_channel: "email", message: "The cleaner never came, refund me" },
        expected: { category: "support", queue: "support", priority: ["p0"] },
      },
      {
        id: "correction-b",
        lead: { name: "Ann", contact_channel: "email", message: "The cleaner never came, refund me" },
        expected: { category: "sales_existing", queue: "sales", priority: ["p1"] },
      },
    ]);
  });

  it("writes lines the eval reads back, and skips a lead whose labels are not valid", () => {
    const { cases, skipped } = correctedLeadsToDataset([
      lead("ok", {
        lead: { name: "Bo", contact_channel: "whatsapp", message: "hi", contact: "+44 7700 900000" },
      }),
      lead("failed-workflow", { ai: { category: null, queue: null, priority: null } }),
    ]);
    expect(skipped).toEqual(["failed-workflow"]);
    const text = cases.map((c) => JSON.stringify(c)).join("\n");
    expect(parseDataset(text)).toEqual(cases);
    expect(cases[0]!.lead.contact).toBe("+44 7700 900000");
  });
});
