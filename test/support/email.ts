import { createHmac, randomBytes, randomUUID } from "node:crypto";

/**
 * Inbound email deliveries as the providers send them: Postmark's inbound webhook JSON and Mailgun's route
 * forward (a form post with the message's fields and `timestamp`, `token`, `signature`), shapes from each
 * provider's inbound documentation.
 */
export function postmarkInbound(overrides: Record<string, unknown> = {}) {
  return {
    FromName: "Ana López",
    MessageStream: "inbound",
    From: "Ana.Lopez@Example.com",
    FromFull: { Email: "Ana.Lopez@Example.com", Name: "Ana López", MailboxHash: "" },
    To: '"Sales" <f0e1d2c3b4a5+sales@inbound.postmarkapp.com>',
    ToFull: [{ Email: "f0e1d2c3b4a5+sales@inbound.postmarkapp.com", Name: "Sales", MailboxHash: "sales" }],
    Cc: "",
    CcFull: [],
    Bcc: "",
    BccFull: [],
    OriginalRecipient: "f0e1d2c3b4a5+sales@inbound.postmarkapp.com",
    Subject: "Quote for a kitchen refit",
    MessageID: randomUUID(),
    ReplyTo: "",
    MailboxHash: "sales",
    Date: "Wed, 2 Dec 2026 12:00:00 +0000",
    TextBody:
      "Could you quote for a kitchen refit in Valencia next month?\n\nOn Tue, 1 Dec 2026 at 10:00, Sales <sales@shop.example> wrote:\n> Thanks for your interest.\n",
    HtmlBody: "<p>Could you quote for a kitchen refit in Valencia next month?</p>",
    StrippedTextReply: "Could you quote for a kitchen refit in Valencia next month?",
    Tag: "",
    Headers: [{ Name: "X-Spam-Status", Value: "No" }],
    Attachments: [],
    ...overrides,
  };
}

export function mailgunFields(signingKey: string, overrides: Record<string, string> = {}) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const token = randomBytes(25).toString("hex");
  return {
    recipient: "leads@mg.shop.example",
    sender: "bob@example.com",
    from: "Bob Stone <Bob@Example.com>",
    subject: "Office cleaning",
    "body-plain":
      "We need weekly office cleaning for 20 desks.\n\nOn Mon, Nov 30, 2026 at 9:00 AM Shop <hi@shop.example> wrote:\n> Hello!\n> How can we help?\n",
    "stripped-text": "We need weekly office cleaning for 20 desks.",
    "stripped-signature": "",
    "body-html": "<p>We need weekly office cleaning for 20 desks.</p>",
    "attachment-count": "0",
    "Message-Id": `<${randomUUID()}@mail.example.com>`,
    "message-headers": JSON.stringify([["Subject", "Office cleaning"]]),
    timestamp,
    token,
    signature: createHmac("sha256", signingKey)
      .update(timestamp + token)
      .digest("hex"),
    ...overrides,
  };
}

export function resignMailgun(signingKey: string, fields: Record<string, string>, timestamp: string) {
  const signature = createHmac("sha256", signingKey)
    .update(timestamp + fields.token)
    .digest("hex");
  return { ...fields, timestamp, signature };
}

/** The fields as Mailgun posts them: multipart/form-data, the bytes and content type a real FormData makes. */
export async function multipart(fields: Record<string, string>) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("attachment-1", new Blob(["%PDF-1.4 fake"], { type: "application/pdf" }), "quote.pdf");
  const request = new Request("http://mailgun.invalid/", { method: "POST", body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get("content-type")!,
  };
}

export const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
