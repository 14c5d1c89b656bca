import { drainedLoad } from "../support/drained-load.ts";
import { leadBody } from "./lead-bodies.ts";

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

/** POST /leads from `connections` keep-alive connections, the window drained as bench/support/drained-load.ts says. */
export async function loadPostLeads(options: LoadOptions): Promise<LoadResult> {
  const { result, statusCodes, seconds } = await drainedLoad({
    url: options.url,
    connections: options.connections,
    seconds: options.seconds,
    method: "POST",
    path: "/leads",
    headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json" },
    request: (n) => ({ body: JSON.stringify(leadBody(n)) }),
  });
  const answered = Object.values(statusCodes).reduce((sum, n) => sum + n, 0);
  const accepted = statusCodes["202"] ?? 0;
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
