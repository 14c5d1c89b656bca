import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";

const SHOP = "https://shop.example.com";
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ WEBCHAT_RATE_LIMIT: "3", TRUST_PROXY: "1" });
});
afterAll(() => api.close());

async function connect() {
  const owner = await api.signup();
  const res = await api.call("POST", "/channels", {
    token: owner.token,
    body: {
      type: "webchat",
      name: "Site chat",
      settings: { allowed_origins: [SHOP, "http://localhost:8080"] },
    },
  });
  expect(res.status).toBe(201);
  return { owner, key: res.json.public_key as string, channelId: res.json.id as string };
}

const post = (key: string, body: unknown, origin: string | null = SHOP, address = "203.0.113.7") =>
  api.call("POST", `/inbound/webchat/${key}`, {
    body,
    headers: { ...(origin ? { origin } : {}), "x-forwarded-for": address },
  });

const preflight = (key: string, origin: string | null) =>
  api.app.request(`/inbound/webchat/${key}`, {
    method: "OPTIONS",
    headers: {
      ...(origin ? { origin } : {}),
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    },
  });

const message = { name: "Lena", message: "Do you clean carpets?", contact: "lena@example.org" };

describe("web chat", () => {
  it("answers a preflight from an allowed origin with exactly that origin, and 403 to any other or none", async () => {
    const { key } = await connect();
    const allowed = await preflight(key, SHOP);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
    expect(allowed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
    for (const origin of ["https://evil.example", "https://shop.example.com.evil.example", "null", null]) {
      const refused = await preflight(key, origin);
      expect(refused.status).toBe(403);
      expect((await refused.json()).error.code).toBe("origin_not_allowed");
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("makes a lead of a post from an allowed page and answers 202 with its id and status only", async () => {
    const { owner, key, channelId } = await connect();
    const res = await post(key, message);
    expect(res.status).toBe(202);
    expect(Object.keys(res.json).sort()).toEqual(["id", "status"]);
    expect(res.json.status).toBe("pending");
    expect(res.headers.get("access-control-allow-origin")).toBe(SHOP);
    const lead = await api.call("GET", `/leads/${res.json.id}`, { token: owner.token });
    expect(lead.json).toMatchObject({ ...message, contact_channel: "webchat" });
    const source = { channel_id: channelId, channel_type: "webchat", channel_name: "Site chat" };
    expect(lead.json.source).toEqual({ ...source, from: lead.json.contact });
    const [listed] = (await api.call("GET", "/leads", { token: owner.token })).json.items;
    expect(listed.source).toEqual(lead.json.source);
  });

  it("refuses a post from another origin or none with 403, no CORS header, and makes nothing", async () => {
    const { owner, key } = await connect();
    for (const origin of ["https://evil.example", null]) {
      const res = await post(key, message, origin);
      expect([res.status, res.json.error.code]).toEqual([403, "origin_not_allowed"]);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
    expect((await api.call("GET", "/leads", { token: owner.token })).json.items).toEqual([]);
  });

  it("answers an invalid message 400 with the allowed origin, so the widget can show it", async () => {
    const { owner, key, channelId } = await connect();
    const res = await post(key, { name: " ", message: "hi", admin: true });
    expect([res.status, res.json.error.code]).toEqual([400, "validation_failed"]);
    expect(res.headers.get("access-control-allow-origin")).toBe(SHOP);
    const deliveries = await api.call("GET", `/channels/${channelId}/deliveries`, { token: owner.token });
    expect(deliveries.json.items[0].outcome).toBe("invalid");
  });

  it("limits posts per address and key, whatever their answer, and says so with the origin", async () => {
    const { key } = await connect();
    const { key: otherKey } = await connect();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await post(key, i === 1 ? { bad: 1 } : message)).status);
    expect(answers).toEqual([202, 400, 202, 429]);
    const limited = await post(key, message);
    expect(limited.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await post(key, message, SHOP, "198.51.100.9")).status).toBe(202);
    expect((await post(otherKey, message)).status).toBe(202);
  });

  it("answers 404 for an unknown or deleted channel's key", async () => {
    const { owner, key, channelId } = await connect();
    expect((await post(`lfpk_${"A".repeat(43)}`, message)).status).toBe(404);
    expect((await post("nope", message)).status).toBe(404);
    expect((await api.call("DELETE", `/channels/${channelId}`, { token: owner.token })).status).toBe(204);
    expect((await post(key, message)).status).toBe(404);
  });

  it("serves the widget script, loadable from any site", async () => {
    const res = await api.app.request("/widget.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/javascript/);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(await res.text()).toContain("data-leadflow-chat");
  });
});
