import { createHmac } from "node:crypto";

/**
 * WhatsApp Cloud API webhook bodies as Meta sends them (the `messages` field of a whatsapp_business_account
 * notification; shapes from Meta's webhook payload reference), and the signature Meta computes over the bytes.
 */
export const PHONE_NUMBER_ID = "106540352242922";

export const textMessage = (id: string, from: string, body: string) => ({
  from,
  id,
  timestamp: "1733140000",
  text: { body },
  type: "text",
});

export const imageMessage = (id: string, from: string, caption?: string) => ({
  from,
  id,
  timestamp: "1733140001",
  type: "image",
  image: {
    ...(caption === undefined ? {} : { caption }),
    mime_type: "image/jpeg",
    sha256: "IMAGE_HASH_3f0d",
    id: "1479537139650973",
  },
});

export const audioMessage = (id: string, from: string) => ({
  from,
  id,
  timestamp: "1733140002",
  type: "audio",
  audio: {
    mime_type: "audio/ogg; codecs=opus",
    sha256: "AUDIO_HASH_9a1c",
    id: "1003383421387256",
    voice: true,
  },
});

export const contact = (waId: string, name: string) => ({ profile: { name }, wa_id: waId });

export const change = (value: { contacts?: unknown[]; messages?: unknown[]; statuses?: unknown[] }) => ({
  value: {
    messaging_product: "whatsapp",
    metadata: { display_phone_number: "15550783881", phone_number_id: PHONE_NUMBER_ID },
    ...value,
  },
  field: "messages",
});

export const notification = (...changes: ReturnType<typeof change>[][]) => ({
  object: "whatsapp_business_account",
  entry: changes.map((entryChanges, i) => ({ id: `10254566389${i}`, changes: entryChanges })),
});

export const deliveredStatus = (wamid: string, recipient: string) => ({
  id: wamid,
  status: "delivered",
  timestamp: "1733140010",
  recipient_id: recipient,
  conversation: { id: "CONVERSATION_ID", origin: { type: "service" } },
  pricing: { billable: true, pricing_model: "CBP", category: "service" },
});

export const signWhatsApp = (appSecret: string, rawBody: string | Buffer) =>
  `sha256=${createHmac("sha256", appSecret).update(rawBody).digest("hex")}`;
