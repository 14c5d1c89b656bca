import { z } from "zod";

export const CONTACT_CHANNELS = ["whatsapp", "webchat", "email", "other"] as const;
export const contactChannel = z.enum(CONTACT_CHANNELS);
export type ContactChannel = z.infer<typeof contactChannel>;

/** Length in user-perceived code points, so an emoji counts once and never splits a surrogate pair. */
const codePoints = (s: string) => [...s].length;

/** Stored exactly as sent: no trimming, but a value of only whitespace carries nothing and is refused. */
const verbatimText = (max: number) =>
  z
    .string()
    .refine((s) => s.trim().length > 0, { message: "must not be empty or only whitespace" })
    .refine((s) => codePoints(s) <= max, { message: `must be at most ${max} characters` })
    .refine((s) => !s.includes("\u0000"), { message: "must not contain NUL characters" })
    // A lone surrogate has no UTF-8 form: stored, it would come back changed, so it is refused instead.
    .refine((s) => s.isWellFormed(), { message: "must be well-formed Unicode text" })
    // What the refinements check, said to JSON Schema (whose lengths are code points too) for the API's document.
    .meta({
      minLength: 1,
      maxLength: max,
      description: "Stored exactly as sent; not empty or only whitespace.",
    });

export const leadInput = z.strictObject({
  name: verbatimText(200),
  contact_channel: contactChannel,
  message: verbatimText(5000),
  contact: z
    .string()
    .max(320)
    .refine((s) => !s.includes("\u0000"), { message: "must not contain NUL characters" })
    .nullish(),
});
export type LeadInput = z.infer<typeof leadInput>;
