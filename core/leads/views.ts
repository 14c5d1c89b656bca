import type { StepError } from "../schemas/workflow.ts";

/** The JSON shapes the API answers with (snake_case, as DESIGN.md fixes them). */
export interface LeadListItem {
  id: string;
  name: string;
  contact_channel: string;
  created_at: string;
  status: string;
  category: string | null;
  queue: string | null;
  priority: string | null;
  sla_minutes: number | null;
}

export interface StepView {
  name: string;
  status: string;
  output: unknown;
  error: StepError | null;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
}

export interface LeadDetail extends LeadListItem {
  contact: string | null;
  message: string;
  workflow: {
    id: string;
    status: string;
    error: StepError | null;
    created_at: string;
    updated_at: string;
    finished_at: string | null;
    steps: StepView[];
  };
}

export const iso = (d: Date | null) => (d ? d.toISOString() : null);
