import { createHmac } from "node:crypto";
import { drainedLoad } from "../support/drained-load.ts";

export interface WhatsAppLoad {
  url: string;
  channelId: string;
  appSecret: string;
  connections: number;
  seconds: number;
}

/** One message a delivery, as Meta sends it; request n carries message n/2, so every message is sent twice. */
function delivery(n: number, appSecret: string) {
  const k = Math.floor(n / 2);
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102545663890",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
              contacts: [{ profile: { name: `Bench ${k}` }, wa_id: `34600${String(k).padStart(6, "0")}` }],
              messages: [
                {
                  from: `34600${String(k).padStart(6, "0")}`,
                  id: `wamid.bench.${k}`,
                  timestamp: "1733140000",
                  type: "text",
                  text: { body: `Hello, I need a quote for cleaning, message ${k}` },
                },
              ],
            },
          },
        ],
      },
    ],
  });
  const signature = `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;
  return { body, signature };
}

/** Signed WhatsApp deliveries from `connections` keep-alive connections for `seconds`, drained as bench:ingest is. */
export async function loadWhatsApp(options: WhatsAppLoad) {
  const { result, statusCodes, sent, seconds } = await drainedLoad({
    url: options.url,
    connections: options.connections,
    seconds: options.seconds,
    method: "POST",
    path: `/inbound/whatsapp/${options.channelId}`,
    request: (n) => {
      const { body, signature } = delivery(n, options.appSecret);
      return { body, headers: { "content-type": "application/json", "x-hub-signature-256": signature } };
    },
  });
  const ok = statusCodes["200"] ?? 0;
  return {
    seconds,
    sent,
    ok,
    perSecond: ok / seconds,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
