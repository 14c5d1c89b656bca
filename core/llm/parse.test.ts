import { describe, expect, it } from "vitest";
import { classification } from "../schemas/classification.ts";
import { routing } from "../schemas/routing.ts";
import { parseStructured } from "./parse.ts";

const valid = { category: "support", confidence: 0.8, rationale: "The oven is broken." };
const validText = JSON.stringify(valid);

describe("parseStructured", () => {
  it("accepts a valid answer as is", () => {
    expect(parseStructured(validText, classification)).toEqual({
      outcome: "ok",
      value: valid,
      repaired: null,
    });
  });

  it.each([
    ["a json-tagged fence", `\`\`\`json\n${validText}\n\`\`\``],
    ["an untagged fence", `\`\`\`\n${JSON.stringify(valid, null, 2)}\n\`\`\``],
    ["a fence with surrounding whitespace", `\n  \`\`\`json\n${validText}\n\`\`\`  \n`],
    ["a one-line fence", `\`\`\`json ${validText}\`\`\``],
  ])("unwraps %s and records the repair", (_label, content) => {
    expect(parseStructured(content, classification)).toEqual({
      outcome: "ok",
      value: valid,
      repaired: "markdown_fence",
    });
  });

  it("validates a fenced answer as strictly as any other", () => {
    const result = parseStructured(
      `\`\`\`json\n${JSON.stringify({ ...valid, confidence: 1.7 })}\n\`\`\``,
      classification,
    );
    expect(result).toEqual({
      outcome: "invalid",
      code: "AI_SCHEMA_MISMATCH",
      validationErrors: ["confidence: Too big: expected number to be <=1"],
    });
  });

  it.each([
    ["prose before the JSON", `Here you go: ${validText}`],
    ["a fence followed by prose", `\`\`\`json\n${validText}\n\`\`\`\nHope this helps!`],
    ["two fences", `\`\`\`json\n${validText}\n\`\`\`\n\`\`\`json\n${validText}\n\`\`\``],
    ["a trailing comma", `{"category":"support","confidence":0.8,"rationale":"x",}`],
    ["single quotes", `{'category':'support','confidence':0.8,'rationale':'x'}`],
    ["a cut-off answer", validText.slice(0, 20)],
  ])("refuses %s as invalid JSON (nothing else is repaired)", (_label, content) => {
    const result = parseStructured(content, classification);
    expect(result.outcome).toBe("invalid");
    if (result.outcome !== "invalid") return;
    expect(result.code).toBe("AI_INVALID_JSON");
    expect(result.validationErrors).toHaveLength(1);
    expect(result.validationErrors[0]).toMatch(/^\(root\): the answer is not valid JSON \(.+\)$/);
  });

  it.each([
    ["an empty answer", ""],
    ["whitespace", "  \n "],
    ["an empty fence", "```json\n\n```"],
  ])("refuses %s as empty", (_label, content) => {
    expect(parseStructured(content, classification)).toEqual({
      outcome: "invalid",
      code: "AI_INVALID_JSON",
      validationErrors: ["(root): the answer is empty"],
    });
  });

  it("reports extra keys of a strict object", () => {
    const result = parseStructured(JSON.stringify({ ...valid, sentiment: "angry" }), classification);
    expect(result).toEqual({
      outcome: "invalid",
      code: "AI_SCHEMA_MISMATCH",
      validationErrors: ['(root): Unrecognized key: "sentiment"'],
    });
  });

  it("reports every problem with its path, nested keys dotted and array items indexed", () => {
    const answer = {
      routing_decision: {
        queue: "sales",
        priority: "p5",
        sla_minutes: "60",
        recommended_next_action: "Call back.",
        required_followups: [""],
        explanation: "Because.",
      },
    };
    const result = parseStructured(JSON.stringify(answer), routing);
    expect(result.outcome).toBe("invalid");
    if (result.outcome !== "invalid") return;
    expect(result.code).toBe("AI_SCHEMA_MISMATCH");
    expect(result.validationErrors).toEqual([
      'routing_decision.priority: Invalid option: expected one of "p0"|"p1"|"p2"',
      "routing_decision.sla_minutes: Invalid input: expected number, received string",
      "routing_decision.required_followups[0]: Too small: expected string to have >=1 characters",
    ]);
  });

  it("reports a missing key and a non-object answer at their paths", () => {
    const { rationale: _dropped, ...missing } = valid;
    expect(parseStructured(JSON.stringify(missing), classification)).toMatchObject({
      code: "AI_SCHEMA_MISMATCH",
      validationErrors: ["rationale: Invalid input: expected string, received undefined"],
    });
    expect(parseStructured("[1, 2]", classification)).toMatchObject({
      code: "AI_SCHEMA_MISMATCH",
      validationErrors: ["(root): Invalid input: expected object, received array"],
    });
  });
});
