import type { Category } from "@leadflow/core/schemas/classification";
import { categoryFields } from "@leadflow/core/schemas/extraction";
import { STEP_NAMES, type StepName } from "@leadflow/core/schemas/workflow";
import { LEAD_TAG, PREVIOUS_TAG, readDataBlock } from "@leadflow/core/steps/prompt";
import type { PreviousSteps, SimulatedLead } from "./answers.ts";

/** What the simulator needs from one chat completion request. */
export interface StepCall {
  step: StepName;
  lead: SimulatedLead;
  previous: PreviousSteps;
  schemaCategory: Category | null;
}

export class BadRequest extends Error {
  override name = "BadRequest";
}

interface ChatBody {
  messages?: unknown;
  response_format?: {
    type?: unknown;
    json_schema?: { name?: unknown; schema?: unknown };
  };
}

/**
 * Reads the step from `response_format.json_schema.name`, the lead from the `<lead_data>` block and earlier
 * outputs from `<previous_steps>`. A request without a lead block still gets an answer (for curl demos): the
 * last user message stands in as the lead's message.
 */
export function readStepCall(body: unknown): StepCall {
  if (!body || typeof body !== "object") throw new BadRequest("The request body must be a JSON object.");
  const { messages, response_format: format } = body as ChatBody;
  if (!Array.isArray(messages) || messages.length === 0)
    throw new BadRequest("'messages' must be a non-empty array.");
  if (format?.type !== "json_schema" || !format.json_schema) {
    throw new BadRequest("response_format must be {type: 'json_schema', json_schema: {...}}.");
  }
  const name = format.json_schema.name;
  if (typeof name !== "string" || !(STEP_NAMES as readonly string[]).includes(name)) {
    throw new BadRequest(`response_format.json_schema.name must be one of ${STEP_NAMES.join(", ")}.`);
  }

  const texts = messages.map(messageText);
  const lead = findBlock(texts, LEAD_TAG);
  const previous = findBlock(texts, PREVIOUS_TAG);
  const lastUser = [...messages].reverse().find((m) => (m as { role?: unknown })?.role === "user");
  return {
    step: name as StepName,
    lead: toLead(lead, lastUser ? messageText(lastUser) : (texts.at(-1) ?? "")),
    previous: previous && typeof previous === "object" ? (previous as PreviousSteps) : {},
    schemaCategory: categoryFromSchema(format.json_schema.schema),
  };
}

function messageText(message: unknown): string {
  const content = (message as { content?: unknown })?.content;
  if (typeof content === "string") return content;
  // Content parts: [{type: "text", text}, ...]
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("\n");
  }
  return "";
}

function findBlock(texts: string[], tag: string): unknown {
  for (const text of texts) {
    try {
      const value = readDataBlock(tag, text);
      if (value !== undefined) return value;
    } catch {
      // A block that is not JSON is treated as absent: the simulator answers from what it can read.
    }
  }
  return undefined;
}

function toLead(block: unknown, fallbackMessage: string): SimulatedLead {
  const lead = (block && typeof block === "object" ? block : {}) as Record<string, unknown>;
  const str = (value: unknown) => (typeof value === "string" ? value : null);
  return {
    name: str(lead.name) ?? "",
    contact_channel: str(lead.contact_channel) ?? "other",
    contact: str(lead.contact),
    message: str(lead.message) ?? fallbackMessage,
  };
}

/** For extract: the category whose own field names appear in the sent schema (e.g. `lead_type` -> sales_new). */
export function categoryFromSchema(schema: unknown): Category | null {
  const fields = (schema as { properties?: { extracted_fields?: { properties?: Record<string, unknown> } } })
    ?.properties?.extracted_fields?.properties;
  if (!fields || typeof fields !== "object") return null;
  const names = new Set(Object.keys(fields));
  for (const [category, own] of Object.entries(categoryFields)) {
    if (Object.keys(own).every((key) => names.has(key))) return category as Category;
  }
  return null;
}
