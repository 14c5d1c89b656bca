import autocannon, { type Client, type Result } from "autocannon";

/** How long autocannon may take past the measured window for the last answers to arrive. */
const DRAIN_ALLOWANCE_S = 5;

export interface DrainedLoadOptions {
  url: string;
  connections: number;
  seconds: number;
  method: "POST" | "GET";
  path: string;
  headers?: Record<string, string>;
  /** The n-th request's body and any headers of its own (n counts from 0 across all connections). */
  request: (n: number) => { body: string; headers?: Record<string, string> };
}

/**
 * Requests from `connections` keep-alive connections, each sending its next as soon as the last is answered. At
 * the end of the window every connection finishes its request in flight and stops, instead of being cut off: a
 * cut-off request may still commit on the server with nobody counting its answer, and the benchmarks check that
 * the database holds exactly what the answers say.
 */
export async function drainedLoad(options: DrainedLoadOptions) {
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
        ...(options.headers ? { headers: options.headers } : {}),
        requests: [
          {
            method: options.method,
            path: options.path,
            setupRequest: (request) => {
              const { body, headers } = options.request(sequence++);
              return { ...request, body, headers: { ...request.headers, ...headers } };
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
    // autocannon ends a connection once it has made `responseMax` requests and had them answered.
    drain = setTimeout(() => {
      for (const client of clients) client.responseMax = client.reqsMade;
    }, options.seconds * 1000);
  });
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  return { result, statusCodes, sent: sequence, seconds: (lastAnswerAt - startedAt) / 1000 };
}
