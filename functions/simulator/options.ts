import type { StepName } from "@leadflow/core/schemas/workflow";
import { z } from "zod";
import { FAULT_KINDS, type FaultKind } from "./faults.ts";

const latencySpec = z.union([
  z.number().min(0),
  z
    .strictObject({ min: z.number().min(0), max: z.number().min(0) })
    .refine((l) => l.min <= l.max, { message: "min must not exceed max" }),
  z
    .strictObject({ mean: z.number().positive(), p99: z.number().positive() })
    .refine((l) => l.p99 >= l.mean, { message: "p99 must be at least the mean" }),
]);

const faultRates = z
  .partialRecord(z.enum(FAULT_KINDS), z.number().min(0).max(1))
  .refine((rates) => Object.values(rates).reduce((sum: number, r) => sum + (r ?? 0), 0) <= 1 + 1e-9, {
    message: "fault rates must add up to at most 1",
  });

/** What can change while the simulator runs (POST /_simulator/config, configure()). */
export const simulatorSettings = z.strictObject({
  /** Probability of each fault per call, drawn from a PRNG seeded with `seed`. */
  faultRates: faultRates.optional(),
  seed: z.number().int().optional(),
  latencyMs: latencySpec.optional(),
  /** Retry-After sent by http_429 when the directive does not say (`http_429:3`). */
  retryAfterSeconds: z.number().int().min(0).optional(),
  /**
   * `enforcing` (the default) holds every answer to the sent json_schema, as OpenAI's strict mode does;
   * `non_enforcing` accepts the schema but lets a message talk it into a category outside the enum, as some
   * OpenAI-compatible servers do (`npm run probe` tells them apart).
   */
  schemaMode: z.enum(["enforcing", "non_enforcing"]).optional(),
  /** Which output-ceiling fields a request may carry; the other one is refused with a 400, as older servers do. */
  outputCeilingParams: z
    .array(z.enum(["max_completion_tokens", "max_tokens"]))
    .min(1)
    .optional(),
});
export type SimulatorSettings = z.infer<typeof simulatorSettings>;

export interface SimulatorOptions extends SimulatorSettings {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /**
   * Told of every chat completion request as it arrives, before it is answered: lets a test act at the moment a
   * worker is inside a model call (kill it, say), or time the calls it receives.
   */
  onCall?: (call: {
    step: StepName;
    message: string;
    fault: FaultKind | null;
    at: number;
    /** The caller's end of the connection: which process made the call (`ss` can tell). */
    remotePort: number | undefined;
  }) => void;
}

export type ResolvedSettings = Required<SimulatorSettings>;

export const DEFAULT_SETTINGS: ResolvedSettings = {
  faultRates: {},
  seed: 1,
  latencyMs: 0,
  retryAfterSeconds: 1,
  schemaMode: "enforcing",
  outputCeilingParams: ["max_completion_tokens", "max_tokens"],
};

/** Validates a partial update and applies it; keys left out (or undefined) keep their current value. */
export function mergeSettings(current: ResolvedSettings, update: unknown): ResolvedSettings {
  const parsed = simulatorSettings.parse(update);
  const defined = Object.fromEntries(Object.entries(parsed).filter(([, value]) => value !== undefined));
  return { ...current, ...defined };
}

/** Reads a JSON value or a bare number from an environment variable, naming the variable when it is wrong. */
function jsonEnv(env: NodeJS.ProcessEnv, name: string): unknown {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`${name} must be JSON or a number, got ${JSON.stringify(raw)}`);
  }
}

/**
 * SIMULATOR_FAULT_RATES (JSON, e.g. {"http_500":0.05}), SIMULATOR_LATENCY_MS (a number, {"min":..,"max":..} or
 * {"mean":..,"p99":..}), SIMULATOR_SEED, SIMULATOR_RETRY_AFTER_S and SIMULATOR_SCHEMA_MODE (enforcing |
 * non_enforcing), for the standalone simulator.
 */
export function simulatorSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SimulatorSettings {
  const parsed = simulatorSettings.safeParse({
    faultRates: jsonEnv(env, "SIMULATOR_FAULT_RATES"),
    latencyMs: jsonEnv(env, "SIMULATOR_LATENCY_MS"),
    seed: jsonEnv(env, "SIMULATOR_SEED"),
    retryAfterSeconds: jsonEnv(env, "SIMULATOR_RETRY_AFTER_S"),
    schemaMode: env.SIMULATOR_SCHEMA_MODE || undefined,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid simulator settings in the environment: ${problems}`);
  }
  return parsed.data;
}
