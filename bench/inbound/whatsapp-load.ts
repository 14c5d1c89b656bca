import { createHmac } from "node:crypto";
import autocannon, { type Client, type Result } from "autocannon";

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

/**
 * Signed WhatsApp deliveries from `connections` keep-alive connections for `seconds`; as bench:ingest does, each
 * connection finishes its request in flight at the end instead of being cut off, so every answer is counted.
 */
export async function loadWhatsApp(options: WhatsAppLoad) {
  let sequence = 0;
  const clients: Client[] = [];
  const startedAt = performance.now();
  let lastAnswerAt = startedAt;
  const result = await new Promise<Result>((resolve, reject) => {
    let drain: NodeJS.Timeout | undefined;
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.seconds + 5,
        requests: [
          {
            method: "POST",
            path: `/inbound/whatsapp/${options.channelId}`,
            setupRequest: (request) => {
              const { body, signature } = delivery(sequence++, options.appSecret);
              return {
                ...request,
                body,
                headers: { "content-type": "application/json", "x-hub-signature-256": signature },
              };
            },
          },
        ],
        setupClient: (client) => clients.push(client),
      },
      (err, res) => {
        clearTimeout(drain);
        if (err) reject(err);
        else resolve(res);
      },
    );
    instance.on("response", () => {
      lastAnswerAt = performance.now();
    });
    drain = setTimeout(() => {
      for (const client of clients) client.responseMax = client.reqsMade;
    }, options.seconds * 1000);
  });
  const seconds = (lastAnswerAt - startedAt) / 1000;
  const ok = result.statusCodeStats["200"]?.count ?? 0;
  return {
    seconds,
    sent: sequence,
    ok,
    perSecond: ok / seconds,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
