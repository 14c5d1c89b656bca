import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { ForbiddenTargetError, guardedLookup, isForbiddenAddress } from "./target.ts";

/** A delivery that takes longer than this is a failure, retried like any other. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** What is read of a receiver's answer: only its status matters, and a hostile one may never end. */
const MAX_ANSWER_BYTES = 4096;

export type SendOutcome = { statusCode: number } | { error: string };

/**
 * POSTs one signed delivery. Redirects are not followed (a 3xx is a failure: a redirect could point anywhere),
 * the connection goes only to an address the guarded lookup allowed, and an IP literal in the URL is checked the
 * same way, since no lookup happens for it.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { allowPrivate: boolean; timeoutMs?: number },
): Promise<SendOutcome> {
  const target = new URL(url);
  const literal = target.hostname.replace(/^\[|\]$/g, "");
  if (!options.allowPrivate && isIP(literal) && isForbiddenAddress(literal)) {
    return Promise.resolve({ error: "refused: the URL is a loopback, private or link-local address" });
  }
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = client.request(
      target,
      {
        method: "POST",
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          "user-agent": "leadflow-webhooks/1",
        },
        lookup: guardedLookup(options.allowPrivate) as never,
        agent: false,
      },
      (response) => {
        let read = 0;
        response.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) response.destroy();
        });
        response.on("close", () => finish({ statusCode: response.statusCode ?? 0 }));
        response.on("error", () => finish({ statusCode: response.statusCode ?? 0 }));
      },
    );
    const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
    const timer = setTimeout(() => {
      request.destroy();
      finish({ error: `no answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    request.on("error", (err) => {
      if (err instanceof ForbiddenTargetError) return finish({ error: `refused: ${err.message}` });
      const code = (err as NodeJS.ErrnoException).code;
      finish({ error: code ? `connection failed (${code})` : "connection failed" });
    });
    request.end(body);
  });
}
