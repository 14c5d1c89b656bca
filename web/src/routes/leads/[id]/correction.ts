import { label, minutes } from "#lib/format.ts";
import type { Category, Priority, RoutingQueue } from "#lib/types.ts";

/** The correction form's fields as typed (strings, like any form's). */
export interface CorrectionValues {
  category: string;
  queue: string;
  priority: string;
  sla_minutes: string;
  reason: string;
}

/** What the form offers, passed from the server load: core's enums and the SLA window of each priority. */
export interface RoutingChoices {
  categories: readonly Category[];
  queues: readonly RoutingQueue[];
  priorities: readonly Priority[];
  slaBounds: Readonly<Record<Priority, { readonly min: number; readonly max: number }>>;
}

export const REASON_MAX = 500;

/** The fields a correction may change, in the order the page shows them. */
export const ROUTING_FIELD_NAMES = ["category", "queue", "priority", "sla_minutes"] as const;

/** A correction's changes in that order (stored as jsonb, they come back in its key order, shortest key first). */
export function orderedChanges<C>(changes: Partial<Record<string, C>>): [string, C][] {
  const order = (field: string) => {
    const i = (ROUTING_FIELD_NAMES as readonly string[]).indexOf(field);
    return i === -1 ? ROUTING_FIELD_NAMES.length : i;
  };
  return (Object.entries(changes) as [string, C | undefined][])
    .filter((entry): entry is [string, C] => entry[1] !== undefined)
    .sort(([a], [b]) => order(a) - order(b));
}

export const valuesOf = (form: FormData): CorrectionValues => {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  return {
    category: text("category"),
    queue: text("queue"),
    priority: text("priority"),
    sla_minutes: text("sla_minutes"),
    reason: text("reason"),
  };
};

/** "P1 · high: 30 min to 4 h", the window the SLA must fit. */
export function windowWords(choices: RoutingChoices, priority: string): string | null {
  const bounds = choices.slaBounds[priority as Priority];
  return bounds ? `${label(priority)}: ${minutes(bounds.min)} to ${minutes(bounds.max)}` : null;
}

/**
 * The checks the browser makes before sending, so a correction the API would refuse costs no request: the same
 * rules it applies (a reason that is not blank, whole minutes inside the resulting priority's window), plus a
 * queue and priority for a lead routed by hand. Without JavaScript the API's own refusal is shown instead.
 */
export function correctionProblems(
  values: CorrectionValues,
  choices: RoutingChoices,
  routeByHand: boolean,
): Record<string, string> {
  const problems: Record<string, string> = {};
  if (routeByHand && values.queue === "") problems.queue = "Choose the queue this lead goes to.";
  if (routeByHand && values.priority === "") problems.priority = "Choose a priority.";
  const sla = values.sla_minutes.trim();
  if (sla !== "" && !/^\d+$/.test(sla)) {
    problems.sla_minutes = "Enter the SLA in whole minutes, such as 45.";
  } else if (sla !== "" && values.priority !== "") {
    const bounds = choices.slaBounds[values.priority as Priority];
    const n = Number(sla);
    if (bounds && (n < bounds.min || n > bounds.max)) {
      problems.sla_minutes = `${minutes(n)} is outside the SLA window of ${windowWords(choices, values.priority)}.`;
    }
  }
  if (values.reason.trim() === "")
    problems.reason = "Say why, so the next person (and the prompt) can learn.";
  else if (values.reason.length > REASON_MAX) problems.reason = `At most ${REASON_MAX} characters.`;
  return problems;
}
