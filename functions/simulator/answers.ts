import {
  CATEGORIES,
  type Category,
  type Classification,
  classification,
} from "@leadflow/core/schemas/classification";
import { coreFields, type Extraction, extractionFor } from "@leadflow/core/schemas/extraction";
import { contactChannel } from "@leadflow/core/schemas/lead";
import { type Priority, type Routing, type RoutingQueue, routing } from "@leadflow/core/schemas/routing";
import type { StepName } from "@leadflow/core/schemas/workflow";
import { stripDirectives } from "./faults.ts";
import {
  type BudgetRange,
  budgetRangeOf,
  CHANGE_PATTERNS,
  changeRequestOf,
  churnRisk,
  churnThreat,
  EXISTING_ACCOUNT_PATTERNS,
  INJECTION_PATTERNS,
  isAngry,
  isoDateIn,
  issueTypeOf,
  isVague,
  LINK_PATTERN,
  languageOf,
  largestAmount,
  locationIn,
  matchedWords,
  referenceIn,
  SALES_PATTERNS,
  SPAM_PATTERNS,
  SUPPORT_PATTERNS,
  serviceIn,
  type Timeline,
  timelineOf,
  type Urgency,
  urgencyOf,
} from "./signals.ts";

/**
 * Plausible, deterministic answers per step: the same lead and previous outputs always give the same answer,
 * and every answer is valid against the step's schema in core/schemas. Every free text starts with
 * "[simulated] " so no one mistakes a demo for a real model's judgement.
 */

export const SIMULATED = "[simulated] ";

export interface SimulatedLead {
  name: string;
  contact_channel: string;
  contact: string | null;
  message: string;
}

/** Outputs of the steps before this one, as the prompt carried them; read defensively, field by field. */
export interface PreviousSteps {
  classify?: unknown;
  extract?: unknown;
}

export interface AnswerContext {
  lead: SimulatedLead;
  previous: PreviousSteps;
  /** For extract: the category whose fields the sent json_schema asks for, when it could be read. */
  schemaCategory: Category | null;
}

export function answerFor(step: StepName, context: AnswerContext): Classification | Extraction | Routing {
  if (step === "classify") return classifyAnswer(context.lead);
  if (step === "extract") {
    const category =
      context.schemaCategory ?? previousCategory(context.previous) ?? classifyAnswer(context.lead).category;
    return extractAnswer(context.lead, category);
  }
  return routeAnswer(context.lead, context.previous);
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const round2 = (n: number) => Math.round(n * 100) / 100;
const quoted = (words: string[]) => [...new Set(words)].map((w) => `"${w}"`).join(", ");

export function classifyAnswer(lead: SimulatedLead): Classification {
  const text = stripDirectives(lead.message);
  const spam = matchedWords(text, SPAM_PATTERNS);
  const support = matchedWords(text, SUPPORT_PATTERNS);
  const existing = matchedWords(text, EXISTING_ACCOUNT_PATTERNS);
  const change = matchedWords(text, CHANGE_PATTERNS);
  const sales = matchedWords(text, SALES_PATTERNS);
  const link = LINK_PATTERN.test(text);

  const injection = matchedWords(text, INJECTION_PATTERNS);
  const genuine = support.length + sales.length + (existing.length > 0 && change.length > 0 ? 1 : 0);
  const words = text.split(/\s+/).filter((w) => /\p{L}/u.test(w) && !LINK_PATTERN.test(w)).length;

  const decide = (): { category: Category; confidence: number; reason: string } => {
    const selling =
      spam.length >= 1 && support.length === 0 && existing.length === 0 && spam.length >= sales.length;
    if (spam.length >= 2 || (spam.length >= 1 && (link || genuine === 0 || selling))) {
      return {
        category: "spam",
        confidence: Math.min(0.97, 0.75 + 0.05 * spam.length),
        reason: `unsolicited offer signals ${quoted(spam)}${link ? " and a link" : ""}`,
      };
    }
    if (injection.length > 0 && genuine === 0) {
      return {
        category: "spam",
        confidence: 0.85,
        reason: `an attempt to instruct the system (${quoted(injection)}) and no genuine request`,
      };
    }
    if (link && genuine === 0 && words < 6) {
      return { category: "spam", confidence: 0.7, reason: "a bare link with nothing genuine around it" };
    }
    if (isVague(text) && support.length === 0) {
      return {
        category: "unknown",
        confidence: 0.3,
        reason: "the message is too short to tell what the sender wants",
      };
    }
    const supportScore = support.length * 2;
    // Changes only count as an existing customer's request when something points at an existing account.
    const existingScore = existing.length > 0 && change.length > 0 ? 2 + change.length + existing.length : 0;
    const salesScore = sales.length * 1.5;
    const confidence = (hits: number, others: number) =>
      Math.min(0.95, 0.6 + 0.08 * hits - (others > 0 ? 0.1 : 0));
    // The tie-breaker of the prompt: a complaint that ends in a cancellation is support when the problem is the point.
    if (
      supportScore > 0 &&
      (supportScore >= existingScore || support.length >= 2) &&
      supportScore >= salesScore
    ) {
      return {
        category: "support",
        confidence: confidence(support.length, Math.max(existingScore, salesScore)),
        reason: `a problem with a service or order: ${quoted(support)}`,
      };
    }
    if (existingScore > 0 && existingScore >= salesScore) {
      return {
        category: "sales_existing",
        confidence: confidence(existing.length + change.length, salesScore),
        reason: `an existing customer's request: ${quoted([...existing, ...change])}`,
      };
    }
    if (salesScore > 0) {
      return {
        category: "sales_new",
        confidence: confidence(sales.length, existingScore),
        reason: `a new enquiry about ${quoted(sales)}`,
      };
    }
    if (supportScore > 0) {
      return {
        category: "support",
        confidence: confidence(support.length, 1),
        reason: `a problem with a service or order: ${quoted(support)}`,
      };
    }
    return {
      category: "unknown",
      confidence: 0.4,
      reason: "no sales, support or spam signals in the message",
    };
  };

  const { category, confidence, reason } = decide();
  return classification.parse({
    category,
    confidence: round2(confidence),
    rationale: clip(`${SIMULATED}Classified as ${category}: ${reason}.`, 600),
  });
}

interface LeadFacts {
  urgency: Urgency;
  timeline: Timeline;
  budget: BudgetRange;
}

function leadFacts(text: string): LeadFacts {
  return { urgency: urgencyOf(text), timeline: timelineOf(text), budget: budgetRangeOf(largestAmount(text)) };
}

export function extractAnswer(lead: SimulatedLead, category: Category): Extraction {
  const text = stripDirectives(lead.message);
  const facts = leadFacts(text);
  const name = lead.name.trim();
  const core = {
    customer_name: name ? clip(name, 200) : null,
    contact_channel: contactChannel.safeParse(lead.contact_channel).data ?? "other",
    service_interest: serviceIn(text),
    location: locationIn(text),
    urgency: facts.urgency,
    timeline: facts.timeline,
    budget_range: facts.budget,
    language: languageOf(text),
  };
  const specific = categorySpecificFields(category, text, core);
  const known = [core.service_interest, core.location, core.language].filter((v) => v !== null).length;
  const knownEnums = [core.timeline, core.budget_range].filter((v) => v !== "unknown").length;
  const confidence = category === "unknown" ? 0.4 : Math.min(0.95, 0.55 + 0.07 * (known + knownEnums));
  return extractionFor(category).parse({
    extracted_fields: { ...core, ...specific },
    confidence: round2(confidence),
  }) as Extraction;
}

function categorySpecificFields(
  category: Category,
  text: string,
  core: { service_interest: string | null; timeline: Timeline; budget_range: BudgetRange },
): Record<string, unknown> {
  switch (category) {
    case "sales_new": {
      const leadType = /\b(compare|comparison|versus|vs\.?|better than|competitor)\b/i.test(text)
        ? "comparison"
        : /\b(quote|quotation|estimate)\b/i.test(text)
          ? "quote_request"
          : /\b(available|availability|do you have|free (on|slot))\b/i.test(text)
            ? "availability"
            : /\b(price|pricing|cost|how much|rates?)\b/i.test(text)
              ? "pricing"
              : "other";
      return { lead_type: leadType, service_date: isoDateIn(text) };
    }
    case "sales_existing":
      return { account_hint: referenceIn(text), change_request: changeRequestOf(text) };
    case "support": {
      // A refund asked for because something broke is a quality issue; billing is about charges themselves.
      const issueType = issueTypeOf(text);
      const severity =
        isAngry(text) ||
        urgencyOf(text) === "high" ||
        churnThreat(text) ||
        /\b(leak|flood|fire|safety|dangerous|gas)\b/i.test(text)
          ? "high"
          : /\b(not working|broken|stopped|refund|charged)\b/i.test(text)
            ? "medium"
            : "low";
      return { issue_type: issueType, severity };
    }
    case "spam": {
      const reason = /\b(verify your|password|suspended|wallet|login details)\b/i.test(text)
        ? "phishing"
        : /\b(idiot|stupid|hate you|shut up)\b/i.test(text)
          ? "abusive"
          : matchedWords(text, SPAM_PATTERNS).length > 0
            ? "promo"
            : "other";
      return { spam_reason: reason };
    }
    case "unknown": {
      const missing: string[] = [];
      if (core.service_interest === null) missing.push("service_type");
      if (core.budget_range === "unknown") missing.push("budget");
      if (core.timeline === "unknown") missing.push("timeline");
      return { missing_info: missing.length > 0 ? missing : ["other"] };
    }
  }
}

const SLA_MINUTES: Record<Priority, number> = { p0: 30, p1: 240, p2: 1440 };
const QUEUE_FOR: Record<Category, RoutingQueue> = {
  sales_new: "sales",
  sales_existing: "sales",
  support: "support",
  spam: "ignore",
  unknown: "needs_clarification",
};

export function routeAnswer(lead: SimulatedLead, previous: PreviousSteps): Routing {
  const text = stripDirectives(lead.message);
  const category = previousCategory(previous) ?? classifyAnswer(lead).category;
  const fields =
    previousFields(previous) ?? (extractAnswer(lead, category).extracted_fields as Record<string, unknown>);
  const computed = leadFacts(text);
  const urgency = coreFields.urgency.safeParse(fields.urgency).data ?? computed.urgency;
  const timeline = coreFields.timeline.safeParse(fields.timeline).data ?? computed.timeline;
  const budget = coreFields.budget_range.safeParse(fields.budget_range).data ?? computed.budget;
  const name = clip(
    typeof fields.customer_name === "string" ? fields.customer_name : lead.name.trim() || "the lead",
    60,
  );
  const service = typeof fields.service_interest === "string" ? clip(fields.service_interest, 60) : null;

  // Priority adds up independent signals, so one weak signal never makes a lead p0 on its own.
  const reasons: string[] = [];
  let score = 0;
  const add = (points: number, reason: string) => {
    score += points;
    reasons.push(reason);
  };
  if (urgency === "high") add(2, "urgent wording");
  else if (urgency === "medium") add(1, "wants it soon");
  if (timeline === "now") add(1, "needs it now");
  else if (timeline === "<1w") add(1, "timeline under a week");
  if (budget === ">10000") add(2, "budget over 10,000");
  else if (budget === "2000-10000") add(1, "budget of 2,000-10,000");
  if (churnThreat(text)) add(4, "the customer threatens to leave");
  else if (churnRisk(text)) add(2, "churn risk");
  if (isAngry(text)) add(1, "angry tone");
  if (category === "support") add(1, "a customer with a problem");
  if (fields.severity === "high") add(1, "high severity issue");

  const priority: Priority =
    category === "spam"
      ? "p2"
      : score >= 4
        ? category === "unknown"
          ? "p1"
          : "p0"
        : score >= 2
          ? "p1"
          : "p2";
  // An existing customer's upgrade, add-on or cancellation (retention) is for sales; a reschedule or other change
  // is a service matter, as the route prompt's queue guide says.
  const queue =
    category === "sales_existing" && ["reschedule", "other"].includes(String(fields.change_request))
      ? "support"
      : QUEUE_FOR[category];
  const sla = category === "support" && priority === "p0" ? 15 : SLA_MINUTES[priority];
  const why =
    category === "spam" ? "it is spam" : reasons.length > 0 ? reasons.join(", ") : "no urgency signals";

  return routing.parse({
    routing_decision: {
      queue,
      priority,
      sla_minutes: sla,
      recommended_next_action: clip(SIMULATED + nextAction(category, name, service, fields, sla), 300),
      required_followups: followups(category, fields).map((f) => clip(f, 200)),
      explanation: clip(
        `${SIMULATED}Routed to ${queue} as ${priority} (SLA ${sla} min) because: ${why}.`,
        600,
      ),
    },
  });
}

const CHANGE_PHRASES: Record<string, string> = {
  reschedule: "rescheduling",
  upgrade: "upgrade",
  add_on: "add-on",
  cancel: "cancellation",
  other: "account",
};

/** "30 minutes", "4 hours", "1 day": how a person would write the SLA in a next action. */
function humanDuration(minutes: number): string {
  if (minutes % 1440 === 0) return minutes === 1440 ? "1 day" : `${minutes / 1440} days`;
  if (minutes % 60 === 0) return minutes === 60 ? "1 hour" : `${minutes / 60} hours`;
  return `${minutes} minutes`;
}

function nextAction(
  category: Category,
  name: string,
  service: string | null,
  fields: Record<string, unknown>,
  sla: number,
): string {
  const within = humanDuration(sla);
  switch (category) {
    case "sales_new":
      return `Contact ${name} within ${within} with a quote for ${service ?? "the requested service"}.`;
    case "sales_existing": {
      const change = CHANGE_PHRASES[String(fields.change_request)] ?? "account";
      return `Reach ${name} within ${within} about their ${change} request and update their account.`;
    }
    case "support":
      return `Open a ${String(fields.severity ?? "medium")}-severity ${String(fields.issue_type ?? "support")} ticket and reply to ${name} within ${within}.`;
    case "spam":
      return "No action: archive the message as spam.";
    case "unknown":
      return `Reply to ${name} asking what they need, by when and for what budget.`;
  }
}

function followups(category: Category, fields: Record<string, unknown>): string[] {
  switch (category) {
    case "spam":
      return [];
    case "unknown":
      return ["Ask what service they are interested in", "Ask for their timeline and budget"];
    case "sales_new": {
      const out = ["Send a written quote"];
      if (fields.service_date == null) out.push("Confirm the service date");
      if (fields.budget_range === "unknown") out.push("Ask for the budget");
      if (fields.location == null) out.push("Confirm the location");
      return out;
    }
    case "sales_existing":
      return [
        fields.account_hint ? "Check the booking in the system" : "Ask for the booking or order reference",
      ];
    case "support": {
      const out = ["Confirm the issue details and any order reference"];
      if (fields.issue_type === "billing") out.push("Check the payment history before offering a refund");
      return out;
    }
  }
}

function isCategory(value: unknown): value is Category {
  return typeof value === "string" && (CATEGORIES as readonly string[]).includes(value);
}

function previousCategory(previous: PreviousSteps): Category | null {
  const classify = previous.classify as { category?: unknown } | undefined;
  return isCategory(classify?.category) ? classify.category : null;
}

function previousFields(previous: PreviousSteps): Record<string, unknown> | null {
  const extract = previous.extract as { extracted_fields?: unknown } | undefined;
  const fields = extract?.extracted_fields;
  return fields && typeof fields === "object" ? (fields as Record<string, unknown>) : null;
}
