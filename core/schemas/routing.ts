import { z } from "zod";
import { answerText } from "./text.ts";

export const QUEUES = ["sales", "support", "ignore", "needs_clarification"] as const;
export const routingQueue = z.enum(QUEUES);
export type RoutingQueue = z.infer<typeof routingQueue>;

export const PRIORITIES = ["p0", "p1", "p2"] as const;
export const priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof priority>;

/** Step 3's answer, `{routing_decision}` with the decision's six keys, exactly as the model must answer it. */
export const routingDecision = z.strictObject({
  queue: routingQueue,
  priority,
  sla_minutes: z.number().int().min(1).max(10_080),
  recommended_next_action: answerText(300),
  required_followups: z.array(answerText(200)).max(10),
  explanation: answerText(600),
});
export type RoutingDecision = z.infer<typeof routingDecision>;

export const routing = z.strictObject({ routing_decision: routingDecision });
export type Routing = z.infer<typeof routing>;
