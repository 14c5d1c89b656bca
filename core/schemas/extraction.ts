import { z } from "zod";
import { type Category, confidence } from "./classification.ts";
import { contactChannel } from "./lead.ts";
import { answerText } from "./text.ts";

// Strict structured outputs need every key present, so "optional" fields are nullable rather than omittable.
const shortText = (max: number) => answerText(max).nullable();

export const coreFields = {
  customer_name: shortText(200),
  contact_channel: contactChannel,
  service_interest: shortText(200),
  location: shortText(200),
  urgency: z.enum(["low", "medium", "high"]),
  timeline: z.enum(["now", "<1w", "1-4w", ">1m", "unknown"]),
  budget_range: z.enum(["<500", "500-2000", "2000-10000", ">10000", "unknown"]),
  language: shortText(50),
};

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be an ISO date (YYYY-MM-DD)")
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    {
      message: "must be a real calendar date",
    },
  )
  .nullable();

export const categoryFields = {
  sales_new: {
    lead_type: z.enum(["quote_request", "availability", "pricing", "comparison", "other"]),
    service_date: isoDate,
  },
  sales_existing: {
    account_hint: shortText(200),
    change_request: z.enum(["reschedule", "upgrade", "add_on", "cancel", "other"]),
  },
  support: {
    issue_type: z.enum(["billing", "scheduling", "service_quality", "technical", "other"]),
    severity: z.enum(["low", "medium", "high"]),
  },
  spam: {
    spam_reason: z.enum(["promo", "phishing", "irrelevant", "abusive", "other"]),
  },
  unknown: {
    missing_info: z.array(z.enum(["service_type", "budget", "timeline", "contact", "other"])).max(5),
  },
} as const satisfies Record<Category, z.ZodRawShape>;

/** The step 2 contract for one category: core fields plus that category's own, nothing else. */
export function extractionFor(category: Category) {
  return z.strictObject({
    extracted_fields: z.strictObject({ ...coreFields, ...categoryFields[category] }),
    confidence,
  });
}

export const extractionSchemas = {
  sales_new: extractionFor("sales_new"),
  sales_existing: extractionFor("sales_existing"),
  support: extractionFor("support"),
  spam: extractionFor("spam"),
  unknown: extractionFor("unknown"),
};

export type Extraction = z.infer<(typeof extractionSchemas)[Category]>;
