import { z } from "zod";
import { category } from "./classification.ts";
import { priority, routingQueue } from "./routing.ts";

/** Where a person is with a lead: `open` until someone answers it, then `answered`, and `closed` when done. */
export const HANDLING_STATES = ["open", "answered", "closed"] as const;
export const handlingState = z.enum(HANDLING_STATES);
export type HandlingState = z.infer<typeof handlingState>;

/** Stored exactly as sent, like a lead's own text; only blank text is refused. */
const personText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => s.trim().length > 0, "must not be blank");

export const handlingMove = z.strictObject({
  state: handlingState,
  note: personText(500).optional(),
});
export type HandlingMove = z.infer<typeof handlingMove>;

/** The routing fields a person may overrule, with the same enums and bounds the AI's answer is held to. */
export const CORRECTABLE_FIELDS = ["category", "queue", "priority", "sla_minutes"] as const;
export type CorrectableField = (typeof CORRECTABLE_FIELDS)[number];

export const correctionInput = z
  .strictObject({
    category: category.optional(),
    queue: routingQueue.optional(),
    priority: priority.optional(),
    sla_minutes: z.number().int().min(1).max(10_080).optional(),
    reason: personText(500),
  })
  .refine((c) => CORRECTABLE_FIELDS.some((field) => c[field] !== undefined), {
    message: "at least one of category, queue, priority, sla_minutes is required",
    path: [],
  });
export type CorrectionInput = z.infer<typeof correctionInput>;

/** A failed workflow has no AI routing: the inbox treats it as a p1 due an hour after the lead arrived. */
export const FAILED_WORKFLOW_SLA_MINUTES = 60;
export const FAILED_WORKFLOW_RANK_PRIORITY = "p1";
