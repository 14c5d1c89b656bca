// Checks a labels file (the dataset, or labels-b.jsonl) against the label contract:
// every line parses, ids are unique, enums are valid, category-specific fields match the category.
// Usage: node eval/second-reading/validate.mjs [file] [expectedLines]
import fs from "node:fs";

const file = process.argv[2] ?? "eval/datasets/leads-v1.jsonl";
const expectedLines = Number(process.argv[3] ?? 290);

const CATEGORIES = ["sales_new", "sales_existing", "support", "spam", "unknown"];
const _QUEUES = ["sales", "support", "ignore", "needs_clarification"];
const PRIORITIES = ["p0", "p1", "p2"];
const CHANNELS = ["whatsapp", "webchat", "email", "other"];
const LANGUAGES = ["es", "de", "fr", "pt", "it", "pl", "nl", "en"];
const ENUMS = {
  urgency: ["low", "medium", "high"],
  timeline: ["now", "<1w", "1-4w", ">1m", "unknown"],
  budget_range: ["<500", "500-2000", "2000-10000", ">10000", "unknown"],
  lead_type: ["quote_request", "availability", "pricing", "comparison", "other"],
  change_request: ["reschedule", "upgrade", "add_on", "cancel", "other"],
  issue_type: ["billing", "scheduling", "service_quality", "technical", "other"],
  severity: ["low", "medium", "high"],
  spam_reason: ["promo", "phishing", "irrelevant", "abusive", "other"],
};
const MISSING_INFO = ["service_type", "budget", "timeline", "contact", "other"];
const TEXT = ["customer_name", "service_interest", "location", "account_hint"];
const CATEGORY_FIELDS = {
  sales_new: ["lead_type", "service_date"],
  sales_existing: ["account_hint", "change_request"],
  support: ["issue_type", "severity"],
  spam: ["spam_reason"],
  unknown: ["missing_info"],
};
const CORE = [
  "customer_name",
  "service_interest",
  "location",
  "urgency",
  "timeline",
  "budget_range",
  "language",
];
const ALLOWED_QUEUES = {
  sales_new: ["sales"],
  sales_existing: ["sales", "support"],
  support: ["support"],
  spam: ["ignore"],
  unknown: ["needs_clarification"],
};

const errors = [];
const lines = fs.readFileSync(file, "utf8").split("\n");
if (lines.at(-1) === "") lines.pop();
if (lines.length !== expectedLines) errors.push(`${lines.length} lines, expected ${expectedLines}`);
const ids = new Set();
for (const [i, line] of lines.entries()) {
  const at = `line ${i + 1}`;
  let c;
  try {
    c = JSON.parse(line);
  } catch (e) {
    errors.push(`${at}: does not parse (${e.message})`);
    continue;
  }
  const id = c.id;
  if (!/^lv1-\d{4}$/.test(id ?? "")) errors.push(`${at}: bad id ${id}`);
  if (ids.has(id)) errors.push(`${at}: duplicate id ${id}`);
  ids.add(id);
  if (c.lead !== undefined) {
    const { name, contact_channel, message } = c.lead;
    if (typeof name !== "string" || name.length < 1 || name.length > 200) errors.push(`${id}: lead.name`);
    if (!CHANNELS.includes(contact_channel)) errors.push(`${id}: lead.contact_channel`);
    if (typeof message !== "string" || !message.trim() || [...message].length > 5000)
      errors.push(`${id}: lead.message`);
  }
  const e = c.expected;
  if (!e) {
    errors.push(`${id}: no expected`);
    continue;
  }
  const extra = Object.keys(e).filter((k) => !["category", "queue", "priority", "fields"].includes(k));
  if (extra.length) errors.push(`${id}: unknown expected keys ${extra}`);
  if (!CATEGORIES.includes(e.category)) errors.push(`${id}: category ${e.category}`);
  if (e.queue !== undefined && !(ALLOWED_QUEUES[e.category] ?? []).includes(e.queue))
    errors.push(`${id}: queue ${e.queue} not allowed for ${e.category}`);
  if (e.priority !== undefined) {
    if (!Array.isArray(e.priority) || !e.priority.length || e.priority.some((p) => !PRIORITIES.includes(p)))
      errors.push(`${id}: priority ${JSON.stringify(e.priority)}`);
    else if (new Set(e.priority).size !== e.priority.length) errors.push(`${id}: duplicate priority`);
  }
  for (const [k, v] of Object.entries(e.fields ?? {})) {
    if (k === "contact_channel") errors.push(`${id}: contact_channel is copied by rule, not labelled`);
    else if (!CORE.includes(k) && !(CATEGORY_FIELDS[e.category] ?? []).includes(k))
      errors.push(`${id}: field ${k} not valid for ${e.category}`);
    if (ENUMS[k] && !ENUMS[k].includes(v)) errors.push(`${id}: ${k}=${JSON.stringify(v)}`);
    if (k === "language" && !LANGUAGES.includes(v))
      errors.push(`${id}: language ${JSON.stringify(v)} is not an ISO 639-1 code of the set`);
    if (TEXT.includes(k) && (typeof v !== "string" || !v.length)) errors.push(`${id}: ${k} not a string`);
    if (
      k === "service_date" &&
      !(/^\d{4}-\d{2}-\d{2}$/.test(v) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v))
    )
      errors.push(`${id}: service_date ${v}`);
    if (
      k === "missing_info" &&
      !(Array.isArray(v) && v.every((m) => MISSING_INFO.includes(m)) && new Set(v).size === v.length)
    )
      errors.push(`${id}: missing_info ${JSON.stringify(v)}`);
  }
}
if (errors.length) {
  console.error(`${file}: ${errors.length} problem(s)`);
  for (const e of errors) console.error(`  ${e}`);
  process.exit(1);
}
console.log(`${file}: ${lines.length} lines, ${ids.size} unique ids, all labels valid`);
