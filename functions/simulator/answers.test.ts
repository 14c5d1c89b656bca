import { type Category, classification } from "@leadflow/core/schemas/classification";
import { extractionFor } from "@leadflow/core/schemas/extraction";
import { type Priority, type RoutingQueue, routing } from "@leadflow/core/schemas/routing";
import type { StepName } from "@leadflow/core/schemas/workflow";
import { dataBlock, leadBlock } from "@leadflow/core/steps/prompt";
import { zodResponseFormat } from "openai/helpers/zod";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { answerFor } from "./answers.ts";
import { readStepCall } from "./request.ts";

/** The body an OpenAI client would send for one step, built the way the real steps build their prompts. */
function requestBody(step: StepName, schema: z.ZodType, message: string, previous?: Record<string, unknown>) {
  const lead = { name: "Sam Carter", contact_channel: "email" as const, contact: "sam@example.com", message };
  const user = [leadBlock(lead), ...(previous ? [dataBlock("previous_steps", previous)] : [])].join("\n\n");
  return {
    model: "any",
    messages: [
      { role: "system", content: "Lead triage." },
      { role: "user", content: user },
    ],
    response_format: zodResponseFormat(schema, step),
  };
}

/** Runs the three steps the way the workflow would, validating each answer against the real schema. */
function runWorkflow(message: string) {
  const classifyCall = readStepCall(requestBody("classify", classification, message));
  const classified = classification.parse(answerFor("classify", classifyCall));
  const extractSchema = extractionFor(classified.category);
  const extractCall = readStepCall(requestBody("extract", extractSchema, message, { classify: classified }));
  const extracted = extractSchema.parse(answerFor("extract", extractCall));
  const routeCall = readStepCall(
    requestBody("route", routing, message, { classify: classified, extract: extracted }),
  );
  const routed = routing.parse(answerFor("route", routeCall));
  return { classified, extracted, routed };
}

interface Case {
  message: string;
  category: Category;
  queue: RoutingQueue;
  priority?: Priority;
  fields?: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    message:
      "Hi, how much would a deep cleaning of a 3-bedroom flat in Lisbon cost? Budget around $3,000, ideally on 2026-03-14.",
    category: "sales_new",
    queue: "sales",
    fields: {
      location: "Lisbon",
      budget_range: "2000-10000",
      service_date: "2026-03-14",
      service_interest: "deep cleaning",
    },
  },
  {
    message: "Do you have availability next week for a kitchen remodel? Looking for a quote.",
    category: "sales_new",
    queue: "sales",
    fields: { lead_type: "quote_request", timeline: "1-4w", urgency: "medium" },
  },
  {
    message:
      "We're interested in wedding photography for about 120 guests on June 20, 2026 in Porto. What are your rates?",
    category: "sales_new",
    queue: "sales",
    fields: { service_date: "2026-06-20", location: "Porto", service_interest: "wedding photography" },
  },
  {
    message:
      "Hola, necesito un precio para la limpieza de mi oficina en Madrid, por favor. Presupuesto 15.000 euros.",
    category: "sales_new",
    queue: "sales",
    fields: { language: "es", budget_range: ">10000", location: "Madrid" },
  },
  {
    message:
      "URGENT: need an emergency plumbing quote today, pipe burst in our restaurant. Budget up to $15,000.",
    category: "sales_new",
    queue: "sales",
    priority: "p0",
    fields: { urgency: "high", timeline: "now", budget_range: ">10000" },
  },
  {
    message: "I need to reschedule my booking #BK-20931 to next Friday, something came up.",
    category: "sales_existing",
    // A reschedule is a service matter (the route prompt's queue guide); the reference is kept as written.
    queue: "support",
    fields: { change_request: "reschedule", account_hint: "BK-20931" },
  },
  {
    message: "Hi, I'm an existing customer and would like to upgrade my plan to premium. What does it cost?",
    category: "sales_existing",
    queue: "sales",
    fields: { change_request: "upgrade" },
  },
  {
    message:
      "Please cancel my subscription at the end of this month, account number 88231. I'm switching to a competitor.",
    category: "sales_existing",
    queue: "sales",
    priority: "p1",
    fields: { change_request: "cancel", account_hint: "88231" },
  },
  {
    message: "My order arrived broken!! This is unacceptable, I want a refund today.",
    category: "support",
    queue: "support",
    priority: "p0",
    fields: { issue_type: "service_quality", severity: "high" },
  },
  {
    message: "The app keeps showing an error when I try to log in, it's not working since yesterday.",
    category: "support",
    queue: "support",
    fields: { issue_type: "technical" },
  },
  {
    message: "Your cleaner never showed up for the appointment this morning and nobody called me.",
    category: "support",
    queue: "support",
    fields: { issue_type: "scheduling" },
  },
  {
    message: "I was charged twice for the same invoice last week, please fix it.",
    category: "support",
    queue: "support",
    fields: { issue_type: "billing" },
  },
  {
    message: "Boost your Google ranking! We sell SEO backlinks, click here: http://cheap-seo.example/offer",
    category: "spam",
    queue: "ignore",
    priority: "p2",
    fields: { spam_reason: "promo" },
  },
  {
    message:
      "Congratulations, you have won a crypto investment opportunity. Double your bitcoin now at www.example.biz",
    category: "spam",
    queue: "ignore",
    priority: "p2",
  },
  {
    message: "hello?",
    category: "unknown",
    queue: "needs_clarification",
    fields: { missing_info: ["service_type", "budget", "timeline"] },
  },
  {
    message: "Can you help me with something?",
    category: "unknown",
    queue: "needs_clarification",
  },
];

describe("simulated answers for realistic leads", () => {
  it.each(CASES)("$category: $message", ({ message, category, queue, priority, fields }) => {
    const { classified, extracted, routed } = runWorkflow(message);
    expect(classified.category).toBe(category);
    expect(routed.routing_decision.queue).toBe(queue);
    if (priority) expect(routed.routing_decision.priority).toBe(priority);
    if (fields) expect(extracted.extracted_fields).toMatchObject(fields);
    // Every free text says it came from the simulator.
    for (const text of [
      classified.rationale,
      routed.routing_decision.recommended_next_action,
      routed.routing_decision.explanation,
    ]) {
      expect(text.startsWith("[simulated] ")).toBe(true);
    }
  });

  it("is unsure about vague messages", () => {
    for (const message of ["hello?", "??", "Can you help me with something?"]) {
      const { classified } = runWorkflow(message);
      expect(classified.category).toBe("unknown");
      expect(classified.confidence).toBeLessThan(0.5);
    }
  });

  it("is confident about clear ones", () => {
    for (const { message, category } of CASES.filter((c) => c.category !== "unknown")) {
      expect(runWorkflow(message).classified.confidence, `${category}: ${message}`).toBeGreaterThanOrEqual(
        0.5,
      );
    }
  });

  it("answers the same message the same way every time", () => {
    for (const { message } of CASES) expect(runWorkflow(message)).toEqual(runWorkflow(message));
  });

  it("ignores simulator directives when deciding", () => {
    const plain = CASES[8]!.message;
    expect(runWorkflow(`${plain} [[sim classify=http_500*2 delay=10]]`)).toEqual(runWorkflow(plain));
  });

  it("extracts the fields the sent schema asks for, even when the previous classification disagrees", () => {
    const message = "My order arrived broken, I want a refund.";
    const schema = extractionFor("unknown");
    const call = readStepCall(
      requestBody("extract", schema, message, {
        classify: { category: "support", confidence: 0.9, rationale: "x" },
      }),
    );
    expect(call.schemaCategory).toBe("unknown");
    expect(schema.safeParse(answerFor("extract", call)).success).toBe(true);
  });

  it("falls back to the previous classification when the schema does not reveal the category", () => {
    const call = readStepCall({
      messages: [
        {
          role: "user",
          content:
            leadBlock({
              name: "A",
              contact_channel: "email",
              contact: null,
              message: "I was charged twice, refund please",
            }) +
            "\n" +
            dataBlock("previous_steps", { classify: { category: "support" } }),
        },
      ],
      response_format: { type: "json_schema", json_schema: { name: "extract", schema: {} } },
    });
    expect(call.schemaCategory).toBeNull();
    expect(extractionFor("support").safeParse(answerFor("extract", call)).success).toBe(true);
  });

  it("answers a prompt without a lead block from the last user message", () => {
    const call = readStepCall({
      messages: [{ role: "user", content: "My heater is broken and leaking, please help asap!" }],
      response_format: zodResponseFormat(classification, "classify"),
    });
    expect(classification.parse(answerFor("classify", call)).category).toBe("support");
  });
});
