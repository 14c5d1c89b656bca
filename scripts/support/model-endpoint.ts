import type { Config } from "../../core/config.ts";
import { simulatorSettingsFromEnv } from "../../functions/simulator/options.ts";
import { startSimulator } from "../../functions/simulator/server.ts";

export interface ModelEndpoint {
  /** Where the calls go; undefined means OpenAI itself. */
  baseURL: string | undefined;
  /** The answers come from the leadflow simulator, a test double. */
  simulated: boolean;
  close(): Promise<void>;
}

/**
 * The model the command-line tools (eval, probe) talk to. With the simulator as the provider and no address given
 * (neither OPENAI_BASE_URL nor SIMULATOR_URL), they start one of their own in this process, with the
 * SIMULATOR_* settings, so they need nothing else running; otherwise they use the configured endpoint.
 */
export async function modelEndpoint(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ModelEndpoint> {
  if (config.llm.provider === "simulator" && !env.OPENAI_BASE_URL && !env.SIMULATOR_URL) {
    const simulator = await startSimulator(simulatorSettingsFromEnv(env));
    return { baseURL: simulator.url, simulated: true, close: () => simulator.close() };
  }
  return { baseURL: config.llm.baseURL, simulated: config.llm.simulated, close: async () => {} };
}

/** Runs `use` against the tools' model endpoint, and stops the simulator it started, whatever happens. */
export async function withModelEndpoint<T>(
  config: Config,
  use: (endpoint: ModelEndpoint) => Promise<T>,
): Promise<T> {
  const endpoint = await modelEndpoint(config);
  try {
    return await use(endpoint);
  } finally {
    await endpoint.close();
  }
}
