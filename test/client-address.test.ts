import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardedClient } from "../functions/api/client-ip.ts";
import { startTestApi, type TestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";

// A caller picks whatever X-Forwarded-For it likes; each proxy we run appends the address it saw. So only the
// entries our proxies wrote are the caller's address, counted from the right (TRUST_PROXY hops).

describe("X-Forwarded-For counted from the right (TRUST_PROXY hops)", () => {
  it("takes the entry the nearest trusted proxy wrote, never the caller's own", () => {
    expect(forwardedClient("203.0.113.9", 0)).toBeUndefined();
    expect(forwardedClient("spoofed, 203.0.113.9", 1)).toBe("203.0.113.9");
    expect(forwardedClient("spoofed, 203.0.113.9, 10.0.0.2", 2)).toBe("203.0.113.9");
    expect(forwardedClient("10.0.0.2", 2)).toBe("10.0.0.2");
    expect(forwardedClient(" , 203.0.113.9 ,", 1)).toBe("203.0.113.9");
  });

  // Per-address login limit of 2: a caller who could choose its address would get a fresh budget each time.
  const proxies = [
    { hops: "0", chain: (spoof: string) => spoof },
    { hops: "1", chain: (spoof: string) => `${spoof}, 203.0.113.7` },
    { hops: "2", chain: (spoof: string) => `${spoof}, 203.0.113.7, 10.0.0.2` },
  ];
  for (const { hops, chain } of proxies) {
    describe(`through ${hops} prox${hops === "1" ? "y" : "ies"}`, () => {
      let api: TestApi;
      beforeAll(async () => {
        api = await startTestApi({
          TRUST_PROXY: hops,
          AUTH_RATE_LIMIT: "2",
          REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-xff${hops}`,
        });
      });
      afterAll(() => api.close());

      it("counts a caller who spoofs X-Forwarded-For as one address", async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) {
          const res = await api.call("POST", "/auth/login", {
            body: { email: `xff-${randomUUID()}@example.test`, password: "wrong password" },
            headers: { "x-forwarded-for": chain(`198.51.100.${i}`) },
          });
          statuses.push(res.status);
        }
        expect(statuses).toEqual([401, 401, 429, 429]);
      });
    });
  }

  it("accepts true as one proxy, and refuses what is not a count", async () => {
    const { loadConfig } = await import("@leadflow/core/config");
    expect(loadConfig({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: "false" }).TRUST_PROXY).toBe(0);
    expect(loadConfig({}).TRUST_PROXY).toBe(0);
    expect(() => loadConfig({ TRUST_PROXY: "yes" })).toThrow(/TRUST_PROXY/);
  });

  it("listens on loopback unless API_HOST says otherwise", async () => {
    const { loadConfig } = await import("@leadflow/core/config");
    expect(loadConfig({}).API_HOST).toBe("127.0.0.1");
    expect(loadConfig({ API_HOST: "0.0.0.0", JWT_SECRET: "y".repeat(32) }).API_HOST).toBe("0.0.0.0");
  });
});
