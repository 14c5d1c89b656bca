import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** What the webhook suites run the API and worker with: local receivers allowed, retries quick and few. */
export const webhookEnv = {
  WORKER_WEBHOOKS: "true",
  WEBHOOK_ALLOW_PRIVATE: "true",
  WEBHOOK_BACKOFF_BASE_MS: "20",
  WEBHOOK_MAX_ATTEMPTS: "4",
};

export interface Receipt {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
  at: number;
}

/** How the receiver answers one request: a status, after an optional delay. */
export type Answer = (
  receipt: Omit<Receipt, "answered">,
  seenBefore: number,
) => { status: number; delayMs?: number };

/**
 * A real HTTP server standing in for a customer's webhook endpoint: it records every request (headers, raw
 * body) and answers as `answer` says, by default 200.
 */
export async function startReceiver(answer: Answer = () => ({ status: 200 })) {
  const receipts: Receipt[] = [];
  const seen = new Map<string, number>();
  let current = answer;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const receipt = {
        path: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      const id = String(req.headers["webhook-id"]);
      const before = seen.get(id) ?? 0;
      seen.set(id, before + 1);
      const { status, delayMs } = current(receipt, before);
      setTimeout(() => {
        receipts.push({ ...receipt, answered: status });
        res.writeHead(status).end();
      }, delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = "/hook") => `http://127.0.0.1:${port}${path}`,
    receipts,
    answerWith(next: Answer) {
      current = next;
    },
    forId: (id: string) => receipts.filter((r) => r.headers["webhook-id"] === id),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
