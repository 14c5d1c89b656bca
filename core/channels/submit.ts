import { asUser } from "../db/scoped.ts";
import type { IntakeRow } from "../leads/intake.ts";
import { type SubmitDeps, startWorkflow, storeLeadIdempotently } from "../leads/submit.ts";
import type { DeliveryOutcome } from "../schemas/channels.ts";
import { type LeadInput, leadInput } from "../schemas/lead.ts";
import type { ChannelRow } from "./channels.ts";
import { type DeliveryResult, settleDelivery, settleDeliveryIn } from "./deliveries.ts";

/**
 * One lead a delivery carries, and the provider's id for it: the idempotency key, so a redelivery makes none
 * (null where the provider has no id, as for a web-chat post).
 */
export interface InboundLead {
  input: LeadInput;
  idempotencyKey: string | null;
}

/** Cuts text to `max` code points (never splitting a surrogate pair), marking the cut with ` […]`. */
export function cutText(text: string, max: number): string {
  const points = [...text];
  if (points.length <= max) return text;
  const marker = " […]";
  return points.slice(0, max - [...marker].length).join("") + marker;
}

/**
 * Submits a delivery's leads through the same path as POST /leads (validation, workflow, idempotency), recording
 * the channel. A lead that fails validation is not made and makes the delivery `invalid` unless another was made.
 * The leads and the delivery's outcome commit in one transaction (one commit a delivery, as POST /leads has), and
 * the workflows start after it.
 */
export async function submitInboundLeads(
  deps: SubmitDeps,
  channel: Pick<ChannelRow, "id" | "userId">,
  deliveryId: string,
  inbound: InboundLead[],
): Promise<DeliveryResult> {
  if (inbound.length === 0) {
    const ignored: DeliveryResult = { outcome: "ignored" };
    await settleDelivery(deps.db, channel.userId, deliveryId, ignored);
    return ignored;
  }
  const { result, created } = await asUser(deps.db, channel.userId, async (tx) => {
    const created: IntakeRow[] = [];
    const problems: string[] = [];
    for (const { input, idempotencyKey } of inbound) {
      const parsed = leadInput.safeParse(input);
      if (!parsed.success) {
        problems.push(
          parsed.error.issues.map((i) => `${i.path.join(".") || "(lead)"}: ${i.message}`).join("; "),
        );
        continue;
      }
      // A provider's id seen before is that message again (an edited resend too): a duplicate, nothing made.
      const stored = await storeLeadIdempotently(tx, channel.userId, parsed.data, idempotencyKey, channel.id);
      if (stored.created) created.push(stored.created);
    }
    const outcome: DeliveryOutcome =
      created.length > 0 ? "accepted" : problems.length > 0 ? "invalid" : "duplicate";
    const result: DeliveryResult = {
      outcome,
      leadIds: created.map((lead) => lead.id),
      error: problems.length > 0 ? `a message could not become a lead: ${problems.join(" | ")}` : null,
    };
    await settleDeliveryIn(tx, deliveryId, result);
    return { result, created };
  });
  for (const lead of created) await startWorkflow(deps, lead);
  return result;
}
