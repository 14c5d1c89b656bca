import { z } from "zod";
import type { Category } from "../schemas/classification.ts";
import type { Priority, RoutingDecision, RoutingQueue } from "../schemas/routing.ts";
import { isLowConfidence, LOW_CONFIDENCE_THRESHOLD } from "./classify.ts";

/**
 * The deterministic half of hybrid routing. The model judges priority, SLA, next action, follow-ups and the
 * explanation from the whole message; these rules only guard the answer afterwards. They never re-ask: each one
 * replaces or clamps a value and records itself in `rules_applied`, and `decided_by` says who set each field.
 */

/** The queue a category goes to when the model has no say, or when its choice is not allowed. */
export const DEFAULT_QUEUE: Record<Category, RoutingQueue> = {
  sales_new: "sales",
  sales_existing: "sales",
  support: "support",
  spam: "ignore",
  unknown: "needs_clarification",
};

/**
 * The queues the model may pick from. Only sales_existing offers a choice: a change to an existing plan can be
 * a sale (upgrade, add-on) or a service matter (reschedule, cancel), and the message tells which.
 */
export const ALLOWED_QUEUES: Record<Category, readonly RoutingQueue[]> = {
  sales_new: ["sales"],
  sales_existing: ["sales", "support"],
  support: ["support"],
  spam: ["ignore"],
  unknown: ["needs_clarification"],
};

/**
 * The response window each priority may promise, in minutes. The model picks the SLA inside its priority's
 * window; a value outside is clamped, so a p0 can never carry a two-day SLA nor a p2 page someone in minutes.
 * - p0 (critical: service failing now, churn imminent, large deal on a same-day deadline): 5 to 60. Nobody can
 *   act reliably in under 5 minutes, and anything that can wait longer than an hour is not critical.
 * - p1 (high: soon-needed work, unhappy customers, sizeable deals): 30 minutes to 4 hours, within the same
 *   working half-day.
 * - p2 (normal or low): 2 hours to 2 days (2880 min), so routine enquiries are answered within two working days
 *   and never jump ahead of p1 work.
 * The windows overlap at their edges on purpose: priority orders the work, the SLA states the promise.
 */
export const SLA_BOUNDS = {
  p0: { min: 5, max: 60 },
  p1: { min: 30, max: 240 },
  p2: { min: 120, max: 2880 },
} as const satisfies Record<Priority, { min: number; max: number }>;

export const ROUTING_RULES = [
  "spam_ignored",
  "queue_default",
  "queue_not_allowed",
  "low_confidence_clarification",
  "sla_clamped",
] as const;
export type RoutingRule = (typeof ROUTING_RULES)[number];

export const routingRuleApplied = z.strictObject({ rule: z.enum(ROUTING_RULES), detail: z.string().min(1) });
export type RoutingRuleApplied = z.infer<typeof routingRuleApplied>;

const byModel = z.literal("model");
const byRuleOrModel = z.enum(["rule", "model"]);
export const decidedBy = z.strictObject({
  queue: byRuleOrModel,
  priority: byModel,
  sla_minutes: byRuleOrModel,
  recommended_next_action: byModel,
  required_followups: byModel,
  explanation: byModel,
});
export type DecidedBy = z.infer<typeof decidedBy>;

export interface RoutingContext {
  /** The classify step's category and confidence, as persisted. */
  category: Category;
  confidence: number;
}

export interface GuardedRouting {
  routing_decision: RoutingDecision;
  decided_by: DecidedBy;
  rules_applied: RoutingRuleApplied[];
}

interface QueueChoice {
  queue: RoutingQueue;
  /** Set when a rule, not the model, settled the queue. */
  rule: RoutingRuleApplied | null;
}

// Precedence: spam is ignored whatever else holds; then an unsure classification goes to a human; only then
// does the category's allowed set apply.
function chooseQueue(modelQueue: RoutingQueue, { category, confidence }: RoutingContext): QueueChoice {
  const answered = `the model chose "${modelQueue}"`;
  if (category === "spam") {
    return {
      queue: "ignore",
      rule: { rule: "spam_ignored", detail: `Spam always goes to "ignore" (${answered}).` },
    };
  }
  if (isLowConfidence(confidence)) {
    return {
      queue: "needs_clarification",
      rule: {
        rule: "low_confidence_clarification",
        detail:
          `Classification confidence ${confidence} is below ${LOW_CONFIDENCE_THRESHOLD}, so a person confirms ` +
          `what the lead wants first (${answered}).`,
      },
    };
  }
  const allowed = ALLOWED_QUEUES[category];
  const fallback = DEFAULT_QUEUE[category];
  if (!allowed.includes(modelQueue)) {
    return {
      queue: fallback,
      rule: {
        rule: "queue_not_allowed",
        detail: `${category} may go to ${allowed.map((q) => `"${q}"`).join(" or ")} only; ${answered}, replaced by "${fallback}".`,
      },
    };
  }
  if (allowed.length === 1) {
    return {
      queue: fallback,
      rule: { rule: "queue_default", detail: `${category} always goes to "${fallback}" (${answered}).` },
    };
  }
  return { queue: modelQueue, rule: null };
}

export function clampSla(priority: Priority, slaMinutes: number): number {
  const { min, max } = SLA_BOUNDS[priority];
  return Math.min(max, Math.max(min, slaMinutes));
}

/** Guards a valid model decision; the model's values survive wherever no rule applies. */
export function applyRoutingRules(decision: RoutingDecision, context: RoutingContext): GuardedRouting {
  const rulesApplied: RoutingRuleApplied[] = [];

  const queue = chooseQueue(decision.queue, context);
  if (queue.rule) rulesApplied.push(queue.rule);

  const slaMinutes = clampSla(decision.priority, decision.sla_minutes);
  if (slaMinutes !== decision.sla_minutes) {
    const { min, max } = SLA_BOUNDS[decision.priority];
    rulesApplied.push({
      rule: "sla_clamped",
      detail: `${decision.priority} allows ${min} to ${max} minutes; the model's ${decision.sla_minutes} became ${slaMinutes}.`,
    });
  }

  return {
    routing_decision: { ...decision, queue: queue.queue, sla_minutes: slaMinutes },
    decided_by: {
      queue: queue.rule ? "rule" : "model",
      priority: "model",
      sla_minutes: slaMinutes === decision.sla_minutes ? "model" : "rule",
      recommended_next_action: "model",
      required_followups: "model",
      explanation: "model",
    },
    rules_applied: rulesApplied,
  };
}
