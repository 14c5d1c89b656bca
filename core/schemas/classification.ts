import { z } from "zod";
import { answerText } from "./text.ts";

export const CATEGORIES = ["sales_new", "sales_existing", "support", "spam", "unknown"] as const;
export const category = z.enum(CATEGORIES);
export type Category = z.infer<typeof category>;

export const confidence = z.number().min(0).max(1);

/** Step 1's answer, `{category, confidence, rationale}` and nothing else: also the JSON schema the model is held to. */
export const classification = z.strictObject({
  category,
  confidence,
  rationale: answerText(600),
});
export type Classification = z.infer<typeof classification>;
