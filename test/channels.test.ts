import { channels } from "@leadflow/core/db/schema";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ PUBLIC_API_URL: "https://leads.example.test/" });
});
afterAll(() => api.close());

const whatsapp = {
  type: "whatsapp",
  name: "Shop WhatsApp",
  settings: { verify_token: "vt-123", app_secret: "s3cr3t-app" },
};
const postmark = { type: "email", name: "Sales inbox", settings: { provider: "postmark" } };
const mailgun = {
  type: "email",
  name: "Support",
  settings: { provider: "mailgun", signing_key: "key-mailgun-abc" },
};
const webchat = {
  type: "webchat",
  name: "Site chat",
  settings: { allowed_origins: ["https://shop.example.com"] },
};

describe("channels", () => {
  it("connects each type with an absolute inbound URL, shows generated secrets once and no secret ever", async () => {
    const { token } = await api.signup();
    const made: Record<string, any> = {};
    for (const body of [whatsapp, postmark, mailgun, webchat]) {
      const res = await api.call("POST", "/channels", { token, body });
      expect(res.status).toBe(201);
      made[body.name] = res.json;
    }
    const wa = made["Shop WhatsApp"];
    expect(wa).toMatchObject({ type: "whatsapp", settings: {} });
    expect(wa.inbound_url).toBe(`https://leads.example.test/inbound/whatsapp/${wa.id}`);
    const pm = made["Sales inbox"];
    expect(pm.settings).toEqual({ provider: "postmark" });
    expect(pm.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pm.inbound_url).toBe(`https://leads.example.test/inbound/email/${pm.id}`);
    expect(made.Support.secret).toBeUndefined();
    const chat = made["Site chat"];
    expect(chat.public_key).toMatch(/^lfpk_[A-Za-z0-9_-]{43}$/);
    expect(chat.inbound_url).toBe(`https://leads.example.test/inbound/webchat/${chat.public_key}`);

    const list = await api.call("GET", "/channels", { token });
    expect(list.json.items.map((c: { name: string }) => c.name)).toEqual([
      "Shop WhatsApp",
      "Sales inbox",
      "Support",
      "Site chat",
    ]);
    expect(list.json.items[3].public_key).toBe(chat.public_key);
    for (const secret of ["vt-123", "s3cr3t-app", "key-mailgun-abc", pm.secret]) {
      expect(list.text).not.toContain(secret);
    }
    expect(list.json.items.find((c: { id: string }) => c.id === pm.id).secret).toBeUndefined();

    // At rest: digests and sealed values only.
    const stored = JSON.stringify(
      await api.deps.database.db.select().from(channels).where(eq(channels.id, wa.id)),
    );
    expect(stored).not.toContain("s3cr3t-app");
    expect(stored).not.toContain("vt-123");
  });

  it("refuses malformed settings with every field path", async () => {
    const { token } = await api.signup();
    const cases = [
      { type: "whatsapp", name: "x", settings: { verify_token: "a" } },
      { type: "email", name: "x", settings: { provider: "mailgun" } },
      { type: "email", name: "x", settings: { provider: "postmark", signing_key: "k" } },
      { type: "webchat", name: "x", settings: { allowed_origins: ["https://shop.example.com/path"] } },
      { type: "webchat", name: "x", settings: { allowed_origins: [] } },
      { type: "sms", name: "x", settings: {} },
      { ...webchat, name: " " },
    ];
    for (const body of cases) {
      const res = await api.call("POST", "/channels", { token, body });
      expect([res.status, res.json.error.code]).toEqual([400, "validation_failed"]);
      expect(res.json.error.details.length).toBeGreaterThan(0);
    }
    expect((await api.call("GET", "/channels", { token })).json.items).toEqual([]);
  });

  it("deletes a channel; another user's channel is a 404 and none of it is visible to them", async () => {
    const owner = await api.signup();
    const other = await api.signup();
    const { id } = (await api.call("POST", "/channels", { token: owner.token, body: whatsapp })).json;
    expect((await api.call("GET", "/channels", { token: other.token })).json.items).toEqual([]);
    expect((await api.call("DELETE", `/channels/${id}`, { token: other.token })).status).toBe(404);
    expect((await api.call("GET", `/channels/${id}/deliveries`, { token: other.token })).status).toBe(404);
    expect((await api.call("GET", `/channels/${id}/deliveries`, { token: owner.token })).json).toEqual({
      items: [],
    });
    expect((await api.call("DELETE", `/channels/${id}`, { token: owner.token })).status).toBe(204);
    expect((await api.call("DELETE", `/channels/${id}`, { token: owner.token })).status).toBe(404);
    expect((await api.call("GET", "/channels/nope/deliveries", { token: owner.token })).status).toBe(404);
    expect((await api.call("GET", "/channels", { token: owner.token })).json.items).toEqual([]);
  });

  it("is refused (403) to an API key", async () => {
    const { token } = await api.signup();
    const { key } = (await api.call("POST", "/api-keys", { token, body: { name: "k" } })).json;
    for (const [method, path, body] of [
      ["POST", "/channels", whatsapp],
      ["GET", "/channels", undefined],
    ] as const) {
      const res = await api.call(method, path, { token: key, body });
      expect([res.status, res.json.error.code]).toEqual([403, "forbidden"]);
    }
  });
});
