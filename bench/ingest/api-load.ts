import autocannon, { type Client, type Result } from "autocannon";
import { leadBody } from "./lead-bodies.ts";

/** How long autocannon may take past the measured window for the last answers to arrive. */
const DRAIN_ALLOWANCE_S = 5;

export interface LoadOptions {
  url: string;
  token: string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  connections: number;
  /** From the first request to the last answer. */
  seconds: number;
  sent: number;
  answered: number;
  accepted: number;
  requestsPerSecond: number;
  acceptedPerSecond: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

/**
 * POST /leads from `connections` keep-alive connections, each sending its next lead as soon as the last is
 * answered. At the end of the window every connection finishes its request in flight and stops, instead of
 * being cut off: a cut-off request may still commit on the server with nobody counting its 202, and the
 * benchmark checks that the database holds exactly one lead per 202.
 */
export async function loadPostLeads(options: LoadOptions): Promise<LoadResult> {
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
        duration: options.seconds + DRAIN_ALLOWANCE_S,
        headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json" },
        requests: [
          {
            method: "POST",
            path: "/leads",
            setupRequest: (request) => ({ ...request, body: JSON.stringify(leadBody(sequence++)) }),
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
    // autocannon ends a connection once it has made `responseMax` requests and had them answered.
    drain = setTimeout(() => {
      for (const client of clients) client.responseMax = client.reqsMade;
    }, options.seconds * 1000);
  });

  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  const answered = Object.values(statusCodes).reduce((sum, n) => sum + n, 0);
  const accepted = statusCodes["202"] ?? 0;
  const seconds = (lastAnswerAt - startedAt) / 1000;
  return {
    connections: options.connections,
    seconds,
    sent: result.requests.sent,
    answered,
    accepted,
    requestsPerSecond: answered / seconds,
    acceptedPerSecond: accepted / seconds,
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}
