import { duration, label, routingField, routingValue } from "#lib/format.ts";
import type { LeadEvent } from "#lib/types.ts";
import { orderedChanges } from "./correction.ts";

const text = (value: unknown) => (typeof value === "string" ? value : null);
const step = (e: LeadEvent) => label(e.step ?? "a step");

/** One entry of a lead's history as a sentence: the workflow's steps and what people did with the lead. */
export function eventWords(e: LeadEvent): string {
  const code = text(e.detail?.code);
  switch (e.type) {
    case "created":
      return "Lead received; triage queued.";
    case "step_started":
      return `${step(e)} started.`;
    case "step_completed":
      return e.attempt
        ? `${step(e)} completed after ${e.attempt} model ${e.attempt === 1 ? "call" : "calls"}.`
        : `${step(e)} completed.`;
    case "step_retried":
      if (e.detail?.kind === "reask")
        return `${step(e)}: the model's answer was unusable (${code}); asked again.`;
      return typeof e.detail?.delay_ms === "number"
        ? `${step(e)}: ${code ?? "a temporary failure"}; retrying in ${duration(e.detail.delay_ms)}.`
        : `${step(e)}: ${code ?? "a temporary failure"}; retrying.`;
    case "step_failed":
      return `${step(e)} failed${code ? `: ${code}` : ""}.`;
    case "workflow_completed":
      return "Triage completed.";
    case "workflow_failed":
      return `Triage failed at ${step(e).toLowerCase()}${code ? ` (${code})` : ""}.`;
    case "resumed":
      return `Retried from ${step(e).toLowerCase()}${typeof e.detail?.run === "number" ? ` (run ${e.detail.run})` : ""}.`;
    case "handling_changed":
      return handlingWords(e);
    case "corrected":
      return correctionWords(e);
    default:
      return `${label(e.type)}.`;
  }
}

function handlingWords(e: LeadEvent): string {
  const move =
    e.to === "answered"
      ? "Marked answered"
      : e.to === "closed"
        ? "Closed"
        : e.to === "open"
          ? "Reopened"
          : `Moved to ${label(e.to)}`;
  const note = text(e.detail?.note);
  return note ? `${move}: “${note}”` : `${move}.`;
}

function correctionWords(e: LeadEvent): string {
  const changes = (e.detail?.changes ?? {}) as Record<
    string,
    { from: string | number | null; to: string | number }
  >;
  const what = orderedChanges(changes)
    .map(
      ([field, c]) => `${routingField(field)} ${routingValue(field, c.from)} → ${routingValue(field, c.to)}`,
    )
    .join(", ");
  const reason = text(e.detail?.reason);
  return `Routing corrected by a person${what ? `: ${what}` : ""}${reason ? `, because “${reason}”` : "."}`;
}
