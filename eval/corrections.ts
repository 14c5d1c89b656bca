import type pg from "pg";
import { type EvalCase, evalCase } from "./dataset.ts";

/**
 * The routing fields a person may correct (DESIGN.md "Working the queues": `POST /leads/:id/corrections`), and the
 * ones a dataset line can label. `sla_minutes` is corrected too but is not an evaluation label.
 */
const LABELLED = ["category", "queue", "priority"] as const;
type Labelled = (typeof LABELLED)[number];

/** One correction as stored: the fields it changed, each `{from, to}`, in the order they were made. */
export interface StoredCorrection {
  changes: Partial<Record<string, { from: unknown; to: unknown }>>;
  created_at: string;
}

/** A lead of the user that people corrected, with the AI's routing and every correction, oldest first. */
export interface CorrectedLead {
  lead_id: string;
  lead: { name: string; contact_channel: string; message: string; contact: string | null };
  /** The AI's decision: classify's category, route's queue and priority (null where a step did not finish). */
  ai: Record<Labelled, string | null>;
  corrections: StoredCorrection[];
}

/** Where corrected leads come from: the seam between the export and the lead_corrections table. */
export interface CorrectionSource {
  correctedLeads(email: string): Promise<CorrectedLead[]>;
}

/**
 * A corrected lead as a dataset line: the person's final word is the label. Each labelled field takes the `to` of
 * its last correction, else the AI's value where a person corrected something else and left it standing (they saw
 * it and kept it). Extracted fields are not labelled: no one checked them. `priority` lists the one a person chose.
 * A lead whose resulting labels are not a valid case (an old enum value, no category) is skipped and counted.
 */
export function correctedLeadsToDataset(leads: readonly CorrectedLead[]): {
  cases: EvalCase[];
  skipped: string[];
} {
  const cases: EvalCase[] = [];
  const skipped: string[] = [];
  for (const lead of leads) {
    const effective: Record<Labelled, unknown> = { ...lead.ai };
    for (const correction of lead.corrections) {
      for (const field of LABELLED) {
        const change = correction.changes[field];
        if (change) effective[field] = change.to;
      }
    }
    const parsed = evalCase.safeParse({
      id: `correction-${lead.lead_id}`,
      lead: { ...lead.lead, ...(lead.lead.contact === null ? { contact: undefined } : {}) },
      expected: {
        category: effective.category,
        ...(typeof effective.queue === "string" ? { queue: effective.queue } : {}),
        ...(typeof effective.priority === "string" ? { priority: [effective.priority] } : {}),
      },
    });
    if (parsed.success) cases.push(parsed.data);
    else skipped.push(lead.lead_id);
  }
  return { cases, skipped };
}

/**
 * The query over the corrections table (migration 0007; test/eval-corrections.test.ts runs it against the real one):
 * `lead_corrections (id, lead_id → leads.id, user_id → users.id, changes jsonb {<field>: {from, to}}, reason,
 * created_at)`, one row per `POST /leads/:id/corrections`. The AI's values come from the latest run's completed
 * classify and route outputs in `workflow_steps`. Run with a login that sees every user's rows (the migrations'
 * DATABASE_URL): it is an operator's export, not an API call.
 */
export function postgresCorrectionSource(pool: pg.Pool): CorrectionSource {
  return {
    async correctedLeads(email) {
      const { rows } = await pool.query<CorrectedLead>(
        `select l.id as lead_id,
                json_build_object('name', l.name, 'contact_channel', l.contact_channel,
                                  'message', l.message, 'contact', l.contact) as lead,
                json_build_object(
                  'category', (select s.output->>'category' from workflow_steps s
                                where s.workflow_id = w.id and s.name = 'classify' and s.status = 'completed'),
                  'queue', (select s.output->'routing_decision'->>'queue' from workflow_steps s
                             where s.workflow_id = w.id and s.name = 'route' and s.status = 'completed'),
                  'priority', (select s.output->'routing_decision'->>'priority' from workflow_steps s
                                where s.workflow_id = w.id and s.name = 'route' and s.status = 'completed')
                ) as ai,
                (select json_agg(json_build_object('changes', c.changes, 'created_at', c.created_at)
                                 order by c.created_at, c.id)
                   from lead_corrections c where c.lead_id = l.id) as corrections
           from users u
           join leads l on l.user_id = u.id
           left join workflows w on w.lead_id = l.id
          where u.email = $1
            and exists (select 1 from lead_corrections c where c.lead_id = l.id)
          order by l.created_at, l.id`,
        [email.trim().toLowerCase()],
      );
      return rows;
    },
  };
}
