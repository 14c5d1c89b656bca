import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, mailgunFields, multipart, postmarkInbound, resignMailgun } from "./support/email.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";

const SIGNING_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";
let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline("inbound-email");
});
afterAll(() => pipeline.close());

async function connect(settings: Record<string, string>) {
  const owner = await pipeline.api.signup();
  const res = await pipeline.api.call("POST", "/channels", {
    token: owner.token,
    body: { type: "email", name: "Sales inbox", settings },
  });
  expect(res.status).toBe(201);
  return { owner, channel: res.json as { id: string; secret?: string } };
}

const leadsOf = async (token: string) =>
  (await pipeline.api.call("GET", "/leads?limit=100", { token })).json.items;
const leadOf = async (token: string, id: string) =>
  (await pipeline.api.call("GET", `/leads/${id}`, { token })).json;
const outcomes = async (token: string, channelId: string) =>
  (await pipeline.api.call("GET", `/channels/${channelId}/deliveries`, { token })).json.items.map(
    (d: { outcome: string }) => d.outcome,
  );

describe("Postmark inbound", () => {
  const post = (channelId: string, body: unknown, authorization?: string) =>
    pipeline.api.call("POST", `/inbound/email/${channelId}`, {
      body,
      headers: authorization ? { authorization } : {},
    });

  it("makes a lead of the subject and the stripped reply, and runs its workflow to completion", async () => {
    const { owner, channel } = await connect({ provider: "postmark" });
    const res = await post(channel.id, postmarkInbound(), basicAuth("leadflow", channel.secret!));
    expect(res.status).toBe(200);
    const [item] = await leadsOf(owner.token);
    expect(await leadOf(owner.token, item.id)).toMatchObject({
      name: "Ana López",
      contact_channel: "email",
      contact: "ana.lopez@example.com",
      message: "Quote for a kitchen refit\n\nCould you quote for a kitchen refit in Valencia next month?",
    });
    expect((await pipeline.waitForTerminal(owner.token, item.id)).workflow.status).toBe("completed");
  });

  it("strips the quoted history with email-reply-parser when Postmark sent no stripped reply", async () => {
    const { owner, channel } = await connect({ provider: "postmark" });
    const mail = postmarkInbound({
      StrippedTextReply: "",
      FromFull: undefined,
      FromName: "",
      From: "bo@x.example",
    });
    expect((await post(channel.id, mail, basicAuth("leadflow", channel.secret!))).status).toBe(200);
    const [item] = await leadsOf(owner.token);
    const lead = await leadOf(owner.token, item.id);
    expect(lead.message).toBe(
      "Quote for a kitchen refit\n\nCould you quote for a kitchen refit in Valencia next month?",
    );
    expect(lead.name).toBe("bo@x.example");
  });

  it("cuts a 20,000-character email to 5,000 code points and marks the cut", async () => {
    const { owner, channel } = await connect({ provider: "postmark" });
    const long = "🧹".repeat(20_000);
    const mail = postmarkInbound({ Subject: "Big job", StrippedTextReply: long });
    expect((await post(channel.id, mail, basicAuth("leadflow", channel.secret!))).status).toBe(200);
    const [item] = await leadsOf(owner.token);
    const { message } = await leadOf(owner.token, item.id);
    expect([...message]).toHaveLength(5000);
    expect(message.startsWith("Big job\n\n🧹🧹")).toBe(true);
    expect(message.endsWith("🧹 […]")).toBe(true);
  });

  it("makes one lead of a MessageID delivered twice", async () => {
    const { owner, channel } = await connect({ provider: "postmark" });
    const mail = postmarkInbound();
    const auth = basicAuth("leadflow", channel.secret!);
    expect((await post(channel.id, mail, auth)).status).toBe(200);
    expect((await post(channel.id, mail, auth)).status).toBe(200);
    expect(await leadsOf(owner.token)).toHaveLength(1);
    expect(await outcomes(owner.token, channel.id)).toEqual(["duplicate", "accepted"]);
  });

  it("refuses missing or wrong Basic credentials with 401 and makes nothing", async () => {
    const { owner, channel } = await connect({ provider: "postmark" });
    for (const auth of [undefined, basicAuth("leadflow", "wrong"), basicAuth("admin", channel.secret!)]) {
      const res = await post(channel.id, postmarkInbound(), auth);
      expect(res.status).toBe(401);
      expect(res.text).not.toContain(channel.secret!);
    }
    expect(await leadsOf(owner.token)).toEqual([]);
    expect(await outcomes(owner.token, channel.id)).toEqual(["rejected", "rejected", "rejected"]);
  });

  it("stores a malformed delivery as invalid with 400", async () => {
    const { owner, channel } = await connect({ provider: "postmark" });
    const res = await post(channel.id, { Subject: "no sender" }, basicAuth("leadflow", channel.secret!));
    expect([res.status, res.json.error.code]).toEqual([400, "validation_failed"]);
    expect(await outcomes(owner.token, channel.id)).toEqual(["invalid"]);
    expect((await post(randomUUID(), postmarkInbound(), basicAuth("leadflow", channel.secret!))).status).toBe(
      404,
    );
  });
});

describe("Mailgun inbound", () => {
  async function post(channelId: string, fields: Record<string, string>) {
    const { body, contentType } = await multipart(fields);
    const res = await pipeline.api.app.request(`/inbound/email/${channelId}`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  }

  it("makes a lead from a signed multipart form post, the address lower-cased", async () => {
    const { owner, channel } = await connect({ provider: "mailgun", signing_key: SIGNING_KEY });
    expect((await post(channel.id, mailgunFields(SIGNING_KEY))).status).toBe(200);
    const [item] = await leadsOf(owner.token);
    expect(await leadOf(owner.token, item.id)).toMatchObject({
      name: "Bob Stone",
      contact: "bob@example.com",
      message: "Office cleaning\n\nWe need weekly office cleaning for 20 desks.",
    });
    expect((await pipeline.waitForTerminal(owner.token, item.id)).workflow.status).toBe("completed");
  });

  it("accepts Mailgun's urlencoded form too, stripping the plain body when there is no stripped-text", async () => {
    const { owner, channel } = await connect({ provider: "mailgun", signing_key: SIGNING_KEY });
    const { "stripped-text": _, ...fields } = mailgunFields(SIGNING_KEY);
    const res = await pipeline.api.app.request(`/inbound/email/${channel.id}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    expect(res.status).toBe(200);
    const [item] = await leadsOf(owner.token);
    expect((await leadOf(owner.token, item.id)).message).toBe(
      "Office cleaning\n\nWe need weekly office cleaning for 20 desks.",
    );
  });

  it("answers 406 to a wrong or stale signature and to a reused token, making nothing", async () => {
    const { owner, channel } = await connect({ provider: "mailgun", signing_key: SIGNING_KEY });
    const good = mailgunFields(SIGNING_KEY);
    const stale = resignMailgun(SIGNING_KEY, good, String(Math.floor(Date.now() / 1000) - 6 * 60));
    const { signature: _, ...unsigned } = mailgunFields(SIGNING_KEY);
    for (const fields of [
      mailgunFields("another-key"),
      { ...good, signature: good.signature.replace(/^./, good.signature[0] === "a" ? "b" : "a") },
      stale,
      unsigned,
    ]) {
      const res = await post(channel.id, fields);
      expect([res.status, res.json.error.code]).toEqual([406, "invalid_signature"]);
    }
    expect((await post(channel.id, good)).status).toBe(200);
    // The same token again, even re-signed with a fresh Message-Id: a replay.
    const replay = await post(channel.id, { ...good, "Message-Id": `<${randomUUID()}@mail.example.com>` });
    expect(replay.status).toBe(406);
    expect(await leadsOf(owner.token)).toHaveLength(1);
    expect(await outcomes(owner.token, channel.id)).toEqual([
      "rejected",
      "accepted",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
    ]);
  });

  it("makes one lead of a Message-Id delivered twice with fresh tokens", async () => {
    const { owner, channel } = await connect({ provider: "mailgun", signing_key: SIGNING_KEY });
    const first = mailgunFields(SIGNING_KEY);
    const again = mailgunFields(SIGNING_KEY, { "Message-Id": first["Message-Id"] });
    expect((await post(channel.id, first)).status).toBe(200);
    expect((await post(channel.id, again)).status).toBe(200);
    expect(await leadsOf(owner.token)).toHaveLength(1);
    expect(await outcomes(owner.token, channel.id)).toEqual(["duplicate", "accepted"]);
  });
});
