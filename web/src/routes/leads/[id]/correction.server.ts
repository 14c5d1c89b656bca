import { CATEGORIES } from "@leadflow/core/schemas/classification";
import { PRIORITIES, QUEUES } from "@leadflow/core/schemas/routing";
import { SLA_BOUNDS } from "@leadflow/core/steps/routing-rules";
import { formText } from "#lib/server/api.ts";
import type { CorrectionValues, RoutingChoices } from "./correction.ts";

/**
 * What a correction form offers (this page's and the inbox's), from core's own enums and SLA windows (the rules the
 * API enforces), passed with the page's data: importing them in the browser would bring zod into its bundle.
 */
export const ROUTING_CHOICES: RoutingChoices = {
  categories: CATEGORIES,
  queues: QUEUES,
  priorities: PRIORITIES,
  slaBounds: SLA_BOUNDS,
};

/**
 * The correction form as the API takes it: every field chosen (the API keeps only those that differ from the
 * lead's effective routing), the SLA as a number. The enums, the SLA windows and the reason are the API's to judge,
 * so a refusal shows its own words; only an SLA that is not a number at all is answered here.
 */
export function readCorrection(form: FormData) {
  const values: CorrectionValues = {
    category: formText(form, "category"),
    queue: formText(form, "queue"),
    priority: formText(form, "priority"),
    sla_minutes: formText(form, "sla_minutes"),
    reason: formText(form, "reason"),
  };
  const fields: Record<string, string> = {};
  const body: Record<string, string | number> = { reason: values.reason };
  for (const field of ["category", "queue", "priority"] as const) {
    if (values[field] !== "") body[field] = values[field];
  }
  const sla = values.sla_minutes.trim();
  if (/^\d+$/.test(sla)) body.sla_minutes = Number(sla);
  else if (sla !== "") fields.sla_minutes = "Enter the SLA in whole minutes, such as 45.";
  return { values, body, fields };
}
