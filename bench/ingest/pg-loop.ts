import pg from "pg";
import { percentile } from "../support/stats.ts";
import { insertLeadTransaction } from "./insert-transaction.ts";
import { leadBody } from "./lead-bodies.ts";

export interface RawLoopOptions {
  databaseUrl: string;
  userId: string;
  /** Loops running at once, on a pool of as many connections; each checks a client out per transaction, as drizzle does. */
  clients: number;
  seconds: number;
}

export interface RawResult {
  tool: string;
  clients: number;
  seconds: number;
  transactions: number;
  transactionsPerSecond: number;
  failed: number;
  latencyMs: { mean: number; p50?: number; p99?: number } | null;
  /** CPU the client side spent per transaction (JavaScript, driver, socket writes); null when unknown. */
  clientCpuMsPerTransaction: number | null;
  firstError?: string;
}

/** The intake transaction with no HTTP, no validation, no JSON and no queue: what node-postgres alone reaches. */
export async function runPgLoop(options: RawLoopOptions): Promise<RawResult> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.clients });
  // Open the connections first: the API's pool is warm when it is measured, so the loop's should be too.
  const warm = await Promise.all(Array.from({ length: options.clients }, () => pool.connect()));
  for (const client of warm) client.release();

  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let sequence = 0;
  const cpuAtStart = process.cpuUsage();
  const startedAt = performance.now();
  const deadline = startedAt + options.seconds * 1000;

  const loop = async () => {
    while (performance.now() < deadline) {
      const began = performance.now();
      const client = await pool.connect();
      try {
        await insertLeadTransaction(client, options.userId, leadBody(sequence++));
        latencies.push(performance.now() - began);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      } finally {
        client.release();
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, loop));
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  await pool.end();

  return {
    tool: `pg loop (node-postgres, pool of ${options.clients})`,
    clients: options.clients,
    seconds,
    transactions: latencies.length,
    transactionsPerSecond: latencies.length / seconds,
    failed,
    latencyMs: latencies.length
      ? {
          mean: latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length,
          p50: percentile(latencies, 0.5) ?? 0,
          p99: percentile(latencies, 0.99) ?? 0,
        }
      : null,
    clientCpuMsPerTransaction: latencies.length ? (cpu.user + cpu.system) / 1000 / latencies.length : null,
    ...(firstError ? { firstError } : {}),
  };
}
