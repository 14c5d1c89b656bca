import type { HandlingState } from "./types.ts";

/** Display helpers shared by the pages; plain functions, safe on server and client. */

const LABELS: Record<string, string> = {
  sales_new: "Sales · new",
  sales_existing: "Sales · existing",
  support: "Support",
  spam: "Spam",
  unknown: "Unknown",
  sales: "Sales",
  ignore: "Ignore",
  needs_clarification: "Needs clarification",
  p0: "P0 · critical",
  p1: "P1 · high",
  p2: "P2 · normal",
  whatsapp: "WhatsApp",
  webchat: "Web chat",
  email: "Email",
  other: "Other",
  pending: "Pending",
  processing: "Processing",
  completed: "Completed",
  failed: "Failed",
  not_started: "Not started",
  skipped: "Skipped",
  classify: "Classify",
  extract: "Extract",
  route: "Route",
  open: "Open",
  answered: "Answered",
  closed: "Closed",
  // settings: channel providers, a channel delivery's outcome, a webhook endpoint's and delivery's status
  postmark: "Postmark",
  mailgun: "Mailgun",
  accepted: "Accepted",
  duplicate: "Duplicate",
  ignored: "Ignored",
  rejected: "Rejected",
  invalid: "Invalid",
  delivered: "Delivered",
  active: "Active",
  disabled: "Disabled",
};

export function label(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return LABELS[value] ?? value.replaceAll("_", " ");
}

/** The extracted fields in the order a person reads a lead; a field the list does not know comes last. */
const FIELD_LABELS: Record<string, string> = {
  customer_name: "Customer name",
  contact_channel: "Contact channel",
  service_interest: "Service of interest",
  location: "Location",
  urgency: "Urgency",
  timeline: "Timeline",
  budget_range: "Budget range",
  language: "Language",
  lead_type: "Lead type",
  service_date: "Service date",
  account_hint: "Account reference",
  change_request: "Change requested",
  issue_type: "Issue type",
  severity: "Severity",
  spam_reason: "Spam reason",
  missing_info: "Missing information",
};
const FIELD_ORDER = Object.keys(FIELD_LABELS);

/** Enumerated values read as words; what the model quoted from the message (names, places) stays verbatim. */
const ENUM_FIELDS = new Set([
  "urgency",
  "lead_type",
  "change_request",
  "issue_type",
  "severity",
  "spam_reason",
  "missing_info",
]);

const SPECIAL_VALUES: Record<string, string> = {
  now: "Now",
  "<1w": "Within a week",
  "1-4w": "In 1 to 4 weeks",
  ">1m": "More than a month away",
  "<500": "Under 500",
  "500-2000": "500 to 2,000",
  "2000-10000": "2,000 to 10,000",
  ">10000": "Over 10,000",
  unknown: "Unknown",
};

function sentence(text: string): string {
  const spaced = text.replaceAll("_", " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** "budget_range" -> "Budget range"; a field the model added on its own still reads as words. */
export function fieldLabel(key: string): string {
  return FIELD_LABELS[key] ?? sentence(key);
}

/** An extracted value as words, or null when the message did not state it. */
export function fieldValue(key: string, value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  const word = (v: string) =>
    key === "contact_channel" ? label(v) : (SPECIAL_VALUES[v] ?? (ENUM_FIELDS.has(key) ? sentence(v) : v));
  if (Array.isArray(value)) return value.length ? value.map((v) => word(String(v))).join(", ") : "None";
  return word(String(value));
}

/** The extracted fields as [key, value] pairs in reading order. */
export function orderedFields(fields: Record<string, unknown>): [string, unknown][] {
  const order = (key: string) => (FIELD_ORDER.includes(key) ? FIELD_ORDER.indexOf(key) : FIELD_ORDER.length);
  return Object.entries(fields).sort(([a], [b]) => order(a) - order(b));
}

/** 90 -> "1 h 30 min", 2880 -> "2 d". */
export function minutes(total: number): string {
  if (total < 60) return `${total} min`;
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const mins = total % 60;
  return [days ? `${days} d` : "", hours ? `${hours} h` : "", mins ? `${mins} min` : ""]
    .filter(Boolean)
    .join(" ");
}

/** A span in ms, short: "850 ms", "3.2 s", "4 min 10 s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return minutes(Math.round(s / 60));
}

/** "in 42 min" / "3 h ago", from a signed difference in ms. */
export function relative(diffMs: number): string {
  const mins = Math.round(Math.abs(diffMs) / 60_000);
  if (mins < 1) return "just now";
  return diffMs >= 0 ? `in ${minutes(mins)}` : `${minutes(mins)} ago`;
}

/** An SLA's due time from now, at minute grain: "due in 14 min", "due now", or "overdue by 3 min" once passed. */
export function dueIn(diffMs: number): string {
  const mins = Math.floor(Math.abs(diffMs) / 60_000);
  if (diffMs < 0) return `overdue by ${minutes(Math.max(1, mins))}`;
  return mins < 1 ? "due now" : `due in ${minutes(mins)}`;
}

const dateTime = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

/** Absolute times are shown in UTC so the server render and the browser agree. */
export function when(iso: string): string {
  return `${dateTime.format(new Date(iso))} UTC`;
}

export function slaDeadline(createdAt: string, slaMinutes: number): Date {
  return new Date(new Date(createdAt).getTime() + slaMinutes * 60_000);
}

export function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

/** Pretty JSON for the raw views. A model answer that is JSON is indented; anything else is shown as sent. */
export function pretty(value: unknown): string {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

/** A cost in US dollars, with enough digits that a fraction of a cent still shows: "$0.0042", "$12.40". */
export function usd(amount: number): string {
  if (amount === 0) return "$0";
  // Two significant digits below a dollar, cents above.
  const digits = amount >= 1 ? 2 : Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(amount))));
  return `$${amount.toFixed(digits)}`;
}

/** 12345 -> "12,345". */
export function count(value: number): string {
  return new Intl.NumberFormat("en-GB").format(value);
}

/** The routing fields a person may correct, by name. */
const ROUTING_FIELDS: Record<string, string> = {
  category: "Category",
  queue: "Queue",
  priority: "Priority",
  sla_minutes: "SLA",
};

export function routingField(field: string): string {
  return ROUTING_FIELDS[field] ?? sentence(field);
}

/** A routing value in words: "Support", "P0 · critical", "1 h 30 min"; null (not known) as "none". */
export function routingValue(field: string, value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "none";
  return field === "sla_minutes" ? minutes(Number(value)) : label(String(value));
}

/** A span between two events in words, at minute grain: "less than a minute", "12 min", "2 h 5 min". */
export function spanWords(ms: number): string {
  const mins = Math.round(Math.abs(ms) / 60_000);
  return mins < 1 ? "less than a minute" : minutes(mins);
}

/** A measured number of minutes (stats): "0.4 min", "12.5 min", then "1 h 5 min"; null (no sample) as "—". */
export function minutesFigure(value: number | null): string {
  if (value === null) return "—";
  return value < 60 ? `${Number(value.toFixed(1))} min` : minutes(Math.round(value));
}

/** Time left on a clock, to the second: "42 s", "4 min 10 s", "1 h 0 min 5 s". */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  return [h ? `${h} h` : "", h || m ? `${m} min` : "", `${total % 60} s`].filter(Boolean).join(" ");
}

/** The one-click handling moves offered from each state (the API allows any move; these are the ones people make). */
export const HANDLING_MOVES: Readonly<
  Record<HandlingState, readonly { to: HandlingState; label: string }[]>
> = {
  open: [
    { to: "answered", label: "Answered" },
    { to: "closed", label: "Close" },
  ],
  answered: [
    { to: "closed", label: "Close" },
    { to: "open", label: "Reopen" },
  ],
  closed: [{ to: "open", label: "Reopen" }],
};
