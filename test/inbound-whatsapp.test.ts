import { randomUUID } from "node:crypto";
import { channelDeliveries } from "@leadflow/core/db/schema";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";
import {
  audioMessage,
  change,
  contact,
  deliveredStatus,
  imageMessage,
  notification,
  signWhatsApp,
  textMessage,
} from "./support/whatsapp.ts";

const APP_SECRET = "whatsapp-app-secret-0123456789";
let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline("inbound-whatsapp");
});
afterAll(() => pipeline.close());

const wamid = () => `wamid.HBgLMTYzMTU1NTExODEVAgASGBQz${randomUUID().replaceAll("-", "").toUpperCase()}`;

async function connect(name = "Shop WhatsApp") {
  const owner = await pipeline.api.signup();
  const res = await pipeline.api.call("POST", "/channels", {
    token: owner.token,
    body: { type: "whatsapp", name, settings: { verify_token: "verify-me-42", app_secret: APP_SECRET } },
  });
  expect(res.status).toBe(201);
  return { owner, channel: res.json as { id: string; inbound_url: string } };
}

/** Posts exactly these bytes, signed as Meta signs them unless a signature is given. */
function deliver(channelId: string, body: unknown, signature?: string | null) {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const headers: Record<string, string> = { "content-type": "application/json" };
  const sig = signature === undefined ? signWhatsApp(APP_SECRET, raw) : signature;
  if (sig !== null) headers["x-hub-signature-256"] = sig;
  return pipeline.api.call("POST", `/inbound/whatsapp/${channelId}`, { body: raw, headers });
}

const leadsOf = async (token: string) =>
  (await pipeline.api.call("GET", "/leads?limit=100", { token })).json.items;
const deliveriesOf = async (token: string, channelId: string) =>
  (await pipeline.api.call("GET", `/channels/${channelId}/deliveries`, { token })).json.items;

describe("WhatsApp verification handshake", () => {
  it("echoes the challenge as text/plain when the verify token matches, else 403", async () => {
    const { channel } = await connect();
    const path = `/inbound/whatsapp/${channel.id}`;
    const ok = await pipeline.api.call(
      "GET",
      `${path}?hub.mode=subscribe&hub.verify_token=verify-me-42&hub.challenge=1158201444`,
    );
    expect([ok.status, ok.text]).toEqual([200, "1158201444"]);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
    for (const query of [
      "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
      "hub.mode=unsubscribe&hub.verify_token=verify-me-42&hub.challenge=1",
      "hub.mode=subscribe&hub.challenge=1",
    ]) {
      const refused = await pipeline.api.call("GET", `${path}?${query}`);
      expect(refused.status).toBe(403);
      expect(refused.text).not.toContain("verify-me-42");
    }
    expect(
      (await pipeline.api.call("GET", `/inbound/whatsapp/${randomUUID()}?hub.mode=subscribe`)).status,
    ).toBe(404);
  });
});

describe("WhatsApp notifications", () => {
  it("turns each message of a batch into a lead named from its contact, and runs each workflow to completion", async () => {
    const { owner, channel } = await connect();
    const [a, b, c] = [wamid(), wamid(), wamid()];
    const body = notification(
      [
        change({
          contacts: [contact("34600000000", "Lucía Pérez"), contact("447700900123", "Dana W")],
          messages: [
            textMessage(a, "34600000000", "Hola, ¿cuánto cuesta limpiar un piso de 3 habitaciones?"),
            textMessage(b, "447700900123", "Do you do end-of-tenancy cleans in Leeds?"),
          ],
        }),
      ],
      [change({ messages: [textMessage(c, "15551234567", "Need a quote for office cleaning")] })],
    );
    const res = await deliver(channel.id, body);
    expect(res.status).toBe(200);

    const leads = await leadsOf(owner.token);
    expect(leads).toHaveLength(3);
    const byName = Object.fromEntries(leads.map((l: { name: string }) => [l.name, l]));
    expect(Object.keys(byName).sort()).toEqual(["15551234567", "Dana W", "Lucía Pérez"]);
    const lucia = await pipeline.api.call("GET", `/leads/${byName["Lucía Pérez"].id}`, {
      token: owner.token,
    });
    expect(lucia.json).toMatchObject({
      contact_channel: "whatsapp",
      contact: "+34600000000",
      message: "Hola, ¿cuánto cuesta limpiar un piso de 3 habitaciones?",
    });
    const source = { channel_id: channel.id, channel_type: "whatsapp", channel_name: "Shop WhatsApp" };
    expect(lucia.json.source).toEqual({ ...source, from: "+34600000000" });
    expect(byName["Lucía Pérez"].source).toEqual({ ...source, from: "+34600000000" });
    for (const lead of leads) {
      expect((await pipeline.waitForTerminal(owner.token, lead.id)).workflow.status).toBe("completed");
    }
    const [delivery] = await deliveriesOf(owner.token, channel.id);
    expect(delivery).toMatchObject({ outcome: "accepted", error: null });
    expect(delivery.lead_ids.sort()).toEqual(leads.map((l: { id: string }) => l.id).sort());
    // The connection's name stays on its leads after the channel is deleted.
    expect(
      (await pipeline.api.call("DELETE", `/channels/${channel.id}`, { token: owner.token })).status,
    ).toBe(204);
    const afterDelete = await pipeline.api.call("GET", `/leads/${byName["Lucía Pérez"].id}`, {
      token: owner.token,
    });
    expect(afterDelete.json.source).toEqual({ ...source, from: "+34600000000" });
  });

  it("makes one lead of a message delivered twice, and of two deliveries sent at once", async () => {
    const { owner, channel } = await connect();
    const id = wamid();
    const body = notification([
      change({
        contacts: [contact("34611111111", "Ana")],
        messages: [textMessage(id, "34611111111", "Precio?")],
      }),
    ]);
    const answers = await Promise.all([deliver(channel.id, body), deliver(channel.id, body)]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect((await deliver(channel.id, body)).status).toBe(200);
    expect(await leadsOf(owner.token)).toHaveLength(1);
    const outcomes = (await deliveriesOf(owner.token, channel.id)).map((d: { outcome: string }) => d.outcome);
    expect(outcomes.sort()).toEqual(["accepted", "duplicate", "duplicate"]);
  });

  it("names non-text messages and keeps their caption", async () => {
    const { owner, channel } = await connect();
    const body = notification([
      change({
        contacts: [contact("34622222222", "Marta")],
        messages: [
          imageMessage(wamid(), "34622222222", "This stain on the sofa, can you remove it?"),
          imageMessage(wamid(), "34622222222"),
          audioMessage(wamid(), "34622222222"),
        ],
      }),
    ]);
    expect((await deliver(channel.id, body)).status).toBe(200);
    const messages = [];
    for (const item of await leadsOf(owner.token)) {
      messages.push(
        (await pipeline.api.call("GET", `/leads/${item.id}`, { token: owner.token })).json.message,
      );
    }
    expect(messages.sort()).toEqual([
      "[WhatsApp audio message with no text]",
      "[WhatsApp image message with no text]",
      "[WhatsApp image message] This stain on the sofa, can you remove it?",
    ]);
  });

  it("acknowledges statuses and makes nothing of them", async () => {
    const { owner, channel } = await connect();
    const res = await deliver(
      channel.id,
      notification([change({ statuses: [deliveredStatus(wamid(), "34600000000")] })]),
    );
    expect(res.status).toBe(200);
    expect(await leadsOf(owner.token)).toEqual([]);
    expect((await deliveriesOf(owner.token, channel.id))[0]).toMatchObject({
      outcome: "ignored",
      lead_ids: [],
    });
  });

  it("refuses a missing or wrong signature, and one over re-serialised JSON, with 401 and makes nothing", async () => {
    const { owner, channel } = await connect();
    const body = notification([change({ messages: [textMessage(wamid(), "34633333333", "hola")] })]);
    // Meta signs the bytes it sends; the same object serialised with other whitespace is other bytes.
    const sent = JSON.stringify(body, null, 2);
    const reserialised = JSON.stringify(JSON.parse(sent));
    for (const signature of [
      null,
      "sha256=",
      `sha256=${"0".repeat(64)}`,
      signWhatsApp("another-secret", sent),
      signWhatsApp(APP_SECRET, reserialised),
      signWhatsApp(APP_SECRET, sent).replace("sha256=", "sha1="),
    ]) {
      const res = await deliver(channel.id, sent, signature);
      expect([res.status, res.json.error.code]).toEqual([401, "invalid_signature"]);
    }
    expect(await leadsOf(owner.token)).toEqual([]);
    const outcomes = (await deliveriesOf(owner.token, channel.id)).map((d: { outcome: string }) => d.outcome);
    expect(outcomes).toEqual(Array(6).fill("rejected"));
    expect((await deliver(channel.id, sent)).status).toBe(200);
  });

  it("stores a malformed delivery raw as invalid and answers 400", async () => {
    const { owner, channel } = await connect();
    const notJson = await deliver(channel.id, "{not json");
    expect([notJson.status, notJson.json.error.code]).toEqual([400, "invalid_json"]);
    const wrongShape = await deliver(channel.id, { object: "page", entry: [] });
    expect([wrongShape.status, wrongShape.json.error.code]).toEqual([400, "validation_failed"]);
    const deliveries = await deliveriesOf(owner.token, channel.id);
    expect(deliveries.map((d: { outcome: string }) => d.outcome)).toEqual(["invalid", "invalid"]);
    const [raw] = await pipeline.api.deps.database.db
      .select()
      .from(channelDeliveries)
      .where(eq(channelDeliveries.id, deliveries[1].id));
    expect(raw!.body.toString("utf8")).toBe("{not json");
    expect(raw!.headers["x-hub-signature-256"]).toMatch(/^sha256=/);
    expect(await leadsOf(owner.token)).toEqual([]);
  });

  it("answers 404 for an unknown or deleted channel and 413 past 1 MiB", async () => {
    const { owner, channel } = await connect();
    const body = notification([change({ messages: [textMessage(wamid(), "34644444444", "x")] })]);
    expect((await deliver(randomUUID(), body)).status).toBe(404);
    expect((await deliver("not-a-uuid", body)).status).toBe(404);
    const big = JSON.stringify({ ...body, padding: "x".repeat(1024 * 1024) });
    const tooLarge = await deliver(channel.id, big);
    expect([tooLarge.status, tooLarge.json.error.code]).toEqual([413, "payload_too_large"]);
    // Between the API's own 64 KiB and the inbound 1 MiB: a long delivery is fine.
    const long = JSON.stringify({ ...body, padding: "x".repeat(200 * 1024) });
    expect((await deliver(channel.id, long)).status).toBe(200);

    expect(
      (await pipeline.api.call("DELETE", `/channels/${channel.id}`, { token: owner.token })).status,
    ).toBe(204);
    expect((await deliver(channel.id, body)).status).toBe(404);
  });

  it("shows none of a channel's leads or deliveries to another user", async () => {
    const { owner, channel } = await connect();
    const other = await pipeline.api.signup();
    await deliver(
      channel.id,
      notification([change({ messages: [textMessage(wamid(), "34655555555", "hi")] })]),
    );
    const [lead] = await leadsOf(owner.token);
    expect(lead).toBeDefined();
    expect(await leadsOf(other.token)).toEqual([]);
    expect((await pipeline.api.call("GET", `/leads/${lead.id}`, { token: other.token })).status).toBe(404);
    expect(
      (await pipeline.api.call("GET", `/channels/${channel.id}/deliveries`, { token: other.token })).status,
    ).toBe(404);
  });
});
