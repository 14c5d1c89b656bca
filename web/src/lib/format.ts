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
};

export function label(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return LABELS[value] ?? value.replaceAll("_", " ");
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
