/**
 * `npm run probe`: what the configured OpenAI-compatible endpoint (OPENAI_BASE_URL, OPENAI_API_KEY, LLM_MODEL;
 * the simulator by default) does with leadflow's calls, and the settings to use with it. Exit 0 when it is usable,
 * 1 when it is not.
 */
import { loadConfig } from "../core/config.ts";
import { probeEndpoint, verdict } from "../eval/probe.ts";
import { runCli } from "./support/cli.ts";
import { withModelEndpoint } from "./support/model-endpoint.ts";

async function main(): Promise<number> {
  const config = loadConfig(process.env, { tokens: false, model: true });
  return withModelEndpoint(config, async (endpoint) => {
    console.log(`probing ${config.llm.model} at ${endpoint.baseURL ?? "OpenAI"}`);
    if (endpoint.simulated) console.log("(the leadflow simulator: a test double, not an AI model)");
    const result = await probeEndpoint({
      baseURL: endpoint.baseURL,
      apiKey: config.llm.apiKey,
      model: config.llm.model,
      timeoutMs: config.llm.timeoutMs,
    });
    const { usable, lines } = verdict(result);
    console.log(lines.join("\n"));
    return usable ? 0 : 1;
  });
}

runCli(main);
