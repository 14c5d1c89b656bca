import type { CorrectableField, HandlingState } from "../schemas/handling.ts";
import type { StepError, WaitingReason } from "../schemas/workflow.ts";

/**
 * The JSON shapes the API answers with (snake_case; tools outside the code rely on these names). The web app reads them with
 * `import type`, so this module imports types only from modules as light as itself (no database, no Node types).
 */
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

/** GET /leads/:id `effective`: the routing people work from (computed in core/handling/effective.ts). */
export interface EffectiveRouting {
  category: string | null;
  queue: string | null;
  priority: string | null;
  sla_minutes: number | null;
  /** created_at + sla_minutes; null while no SLA is known. */
  due_at: string | null;
  corrected: boolean;
}

export type CorrectionChanges = Partial<
  Record<CorrectableField, { from: string | number | null; to: string | number }>
>;

/** One correction of a lead's routing, as stored: never edited. */
export interface CorrectionView {
  id: string;
  changes: CorrectionChanges;
  reason: string;
  created_at: string;
}

/** One row of GET /inbox: a lead as people work it, most urgent first. */
export interface InboxItem {
  id: string;
  name: string;
  contact_channel: string;
  created_at: string;
  category: string | null;
  queue: string | null;
  priority: string | null;
  sla_minutes: number | null;
  due_at: string;
  /** Answered after due_at, or not answered and due_at has passed. */
  breached: boolean;
  state: HandlingState;
  corrected: boolean;
  workflow_status: string;
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
  /** The routing people work from: corrections over the AI's decision (core/handling/effective.ts). */
  effective: EffectiveRouting;
  /** Every correction of the routing, oldest first. */
  corrections: CorrectionView[];
  handling: { state: HandlingState; first_response_at: string | null; updated_at: string };
  workflow: {
    id: string;
    status: string;
    error: StepError | null;
    created_at: string;
    updated_at: string;
    finished_at: string | null;
    /** Why the current step is held back, and until when; null while nothing holds it. */
    waiting: WorkflowWaiting | null;
    /** Every model call of every run: tokens as the answers reported them, and their cost. */
    tokens: { prompt: number; completion: number };
    cost_usd: number;
    steps: StepView[];
  };
}

export interface WorkflowWaiting {
  reason: WaitingReason;
  until: string;
}

/** One model call of a step (GET /leads/:id/attempts). */
export interface AttemptView {
  step: string;
  number: number;
  outcome: string;
  error: StepError | null;
  latency_ms: number | null;
  model: string | null;
  prompt_version: string | null;
  tokens: { prompt: number; completion: number; total: number } | null;
  raw_response: string | null;
  validation_errors: unknown;
  repaired: string | null;
  cost_usd: number;
  created_at: string;
}

/** The windows GET /stats can look back over (core/leads/stats.ts holds their lengths). */
export type StatsPeriod = "24h" | "7d" | "30d";

export interface CountByKey {
  /** null while the value is not known yet (the step that decides it has not completed). */
  key: string | null;
  count: number;
}

export interface RateByCode {
  code: string;
  count: number;
  /** count divided by the period's total (workflows or model calls), 0 when there were none. */
  rate: number;
}

export interface StepLatency {
  step: string;
  /** Completed steps in the period: started to finished, queue retries and re-asks included. */
  samples: number;
  p50_ms: number | null;
  p95_ms: number | null;
  /** Single model calls of this step in the period. */
  calls: number;
  call_p50_ms: number | null;
  call_p95_ms: number | null;
}

export interface LeadStats {
  period: StatsPeriod;
  since: string;
  until: string;
  totals: { leads: number; pending: number; processing: number; completed: number; failed: number };
  by_category: CountByKey[];
  by_queue: CountByKey[];
  by_priority: CountByKey[];
  failures: {
    /**
     * Workflows of leads submitted in the period that failed with each code at least once (a retried one too),
     * and how many of them are failed still. rate = count / leads in the period.
     */
    workflows: (RateByCode & { still_failed: number })[];
    /** Model calls made in the period that ended in an error, by code (retried and re-asked ones included). */
    calls_total: number;
    calls: RateByCode[];
  };
  step_latency: StepLatency[];
  /** Every model call made in the period (re-asks and retries included): tokens reported, and their cost. */
  tokens: { prompt: number; completion: number };
  cost_usd: number;
}

export type LeadStatsWithWork = LeadStats & WorkStats;

/** An outbound webhook endpoint (its secret is shown once, when it is created). */
export interface WebhookEndpointView {
  id: string;
  url: string;
  events: ("lead.routed" | "lead.failed" | "lead.corrected" | "lead.handled")[];
  status: "active" | "disabled";
  created_at: string;
}

/** One event sent (or being sent) to an endpoint, with the outcome of its latest try. */
export interface WebhookDeliveryView {
  id: string;
  event: string;
  lead_id: string | null;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  /** When the next try is due, while it is pending. */
  next_attempt_at: string | null;
  created_at: string;
}

/** GET /stats's account of people working the queues (core/handling/work-stats.ts). */
export interface WorkStats {
  /** Leads first answered in the period: minutes from arrival to that answer. */
  first_response_minutes: { p50: number | null; p90: number | null; answered: number };
  /** 0-1: of the period's routed leads whose due time has passed, the share answered late or not at all. */
  sla_breach_rate: number;
  sla_breach_by_queue: { key: string; due: number; rate: number }[];
  sla_breach_by_priority: { key: string; due: number; rate: number }[];
  /** 0-1 by the category the AI chose: the share of those leads a person corrected. */
  correction_rate_by_category: Record<string, number>;
  /** Open leads now (whatever the period), by effective queue (null: a failed workflow nobody routed yet). */
  waiting_by_queue: { key: string | null; count: number; overdue: number }[];
}

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Dollars to a millionth of a cent: sums of float costs otherwise show binary noise (0.30000000000000004). */
export const roundUsd = (usd: number) => Math.round(usd * 1e8) / 1e8;
