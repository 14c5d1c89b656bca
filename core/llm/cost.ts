import type { TokenUsage } from "./types.ts";

/** USD per million prompt and completion tokens (LLM_PRICE_INPUT_PER_MTOK, LLM_PRICE_OUTPUT_PER_MTOK). */
export interface Pricing {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** What one call cost at `pricing`, from the usage its answer reported; 0 when it reported none. */
export function callCost(tokens: TokenUsage | null, pricing: Pricing): number {
  if (!tokens) return 0;
  return (tokens.prompt * pricing.inputPerMillion + tokens.completion * pricing.outputPerMillion) / 1_000_000;
}
