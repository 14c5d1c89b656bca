import { DomainError } from "../errors.ts";
import type { SubmitDeps } from "../leads/submit.ts";
import { submitLeadIdempotently } from "../leads/submit.ts";
import type { DeliveryOutcome } from "../schemas/channels.ts";
import { type LeadInput, leadInput } from "../schemas/lead.ts";
import type { ChannelRow } from "./channels.ts";
import type { DeliveryResult } from "./deliveries.ts";

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
 */
export async function submitInboundLeads(
  deps: SubmitDeps,
  channel: Pick<ChannelRow, "id" | "userId">,
  inbound: InboundLead[],
): Promise<DeliveryResult> {
  if (inbound.length === 0) return { outcome: "ignored" };
  const made: string[] = [];
  const problems: string[] = [];
  for (const { input, idempotencyKey } of inbound) {
    const parsed = leadInput.safeParse(input);
    if (!parsed.success) {
      problems.push(
        parsed.error.issues.map((i) => `${i.path.join(".") || "(lead)"}: ${i.message}`).join("; "),
      );
      continue;
    }
    try {
      const { lead, replayed } = await submitLeadIdempotently(
        deps,
        channel.userId,
        parsed.data,
        idempotencyKey,
        channel.id,
      );
      if (!replayed) made.push(lead.id);
    } catch (err) {
      // The provider's id was seen with other content (an edited resend): it is still that message, seen before.
      if (!(err instanceof DomainError && err.code === "idempotency_conflict")) throw err;
    }
  }
  const outcome: DeliveryOutcome =
    made.length > 0 ? "accepted" : problems.length > 0 ? "invalid" : "duplicate";
  return {
    outcome,
    leadIds: made,
    error: problems.length > 0 ? `a message could not become a lead: ${problems.join(" | ")}` : null,
  };
}
