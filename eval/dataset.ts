import { readFile } from "node:fs/promises";
import { z } from "zod";
import { CATEGORIES, type Category, category } from "../core/schemas/classification.ts";
import { categoryFields, coreFields } from "../core/schemas/extraction.ts";
import { leadInput } from "../core/schemas/lead.ts";
import { priority, routingQueue } from "../core/schemas/routing.ts";

/**
 * A labelled field holds a value the model could answer, never null: a field a careful person would not be sure
 * of is left out. `contact_channel` is copied from the lead by rule, so labelling it would measure nothing.
 */
const { contact_channel: _copiedByRule, ...labelledCoreFields } = coreFields;
const labelledFields = {
  ...labelledCoreFields,
  ...categoryFields.sales_new,
  ...categoryFields.sales_existing,
  ...categoryFields.support,
  ...categoryFields.spam,
  ...categoryFields.unknown,
};
export type FieldName = keyof typeof labelledFields;
export const FIELD_NAMES = Object.keys(labelledFields) as FieldName[];

const labelSchema = (schema: z.ZodType) => (schema instanceof z.ZodNullable ? schema.unwrap() : schema);
const fieldLabels = z.strictObject(
  Object.fromEntries(Object.entries(labelledFields).map(([name, schema]) => [name, labelSchema(schema)])) as {
    [K in FieldName]: z.ZodType;
  },
);

/** Which category owns each category-specific field, so a label cannot ask a support lead for a lead_type. */
const FIELD_CATEGORY = new Map<string, Category>(
  CATEGORIES.flatMap((c) => Object.keys(categoryFields[c]).map((field) => [field, c] as const)),
);

export const evalCase = z
  .strictObject({
    id: z.string().min(1).max(100),
    lead: leadInput,
    expected: z.strictObject({
      category,
      queue: routingQueue.optional(),
      /** The acceptable priorities (any of them counts as right). */
      priority: z.array(priority).min(1).max(3).optional(),
      fields: fieldLabels.partial().optional(),
    }),
  })
  .superRefine((c, ctx) => {
    for (const field of Object.keys(c.expected.fields ?? {})) {
      const owner = FIELD_CATEGORY.get(field);
      if (owner && owner !== c.expected.category) {
        ctx.addIssue({
          code: "custom",
          path: ["expected", "fields", field],
          message: `is a ${owner} field, but the case is labelled ${c.expected.category}`,
        });
      }
    }
  });
export type EvalCase = z.infer<typeof evalCase>;

export class DatasetError extends Error {
  override name = "DatasetError";
}

/** Parses JSON Lines into cases; every bad line is named with its problems, and ids must be unique. */
export function parseDataset(text: string, source = "dataset"): EvalCase[] {
  const cases: EvalCase[] = [];
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const at = `${source}:${index + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      problems.push(`${at}: not JSON`);
      continue;
    }
    const parsed = evalCase.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${at}: ${issue.path.join(".")}: ${issue.message}`);
      continue;
    }
    if (ids.has(parsed.data.id)) problems.push(`${at}: duplicate id ${parsed.data.id}`);
    ids.add(parsed.data.id);
    cases.push(parsed.data);
  }
  if (problems.length) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : "";
    throw new DatasetError(`The dataset is invalid:\n  ${shown.join("\n  ")}${more}`);
  }
  if (cases.length === 0) throw new DatasetError(`${source} holds no cases.`);
  return cases;
}

export async function loadDataset(file: string): Promise<EvalCase[]> {
  return parseDataset(await readFile(file, "utf8"), file);
}
