/** The API's JSON shapes as the web app reads them (DESIGN.md, core/leads/views.ts). */

export const WORKFLOW_STATUSES = ["pending", "processing", "completed", "failed"] as const;
export const CATEGORIES = ["sales_new", "sales_existing", "support", "spam", "unknown"] as const;
export const QUEUES = ["sales", "support", "ignore", "needs_clarification"] as const;
export const PRIORITIES = ["p0", "p1", "p2"] as const;
export const CHANNELS = ["whatsapp", "webchat", "email", "other"] as const;
export const STEP_NAMES = ["classify", "extract", "route"] as const;

export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];
export type StepStatus = "not_started" | "processing" | "completed" | "failed" | "skipped";

export interface User {
  id: string;
  email: string;
  created_at: string;
}

export interface ApiErrorBody {
  code: string;
  message: string;
  details?: { path: string; message: string }[];
}

export interface StepError {
  code: string;
  message: string;
  retryable: boolean;
  details?: unknown;
}

export interface LeadListItem {
  id: string;
  name: string;
  contact_channel: string;
  created_at: string;
  status: WorkflowStatus;
  category: string | null;
  queue: string | null;
  priority: string | null;
  sla_minutes: number | null;
}

export interface StepView {
  name: string;
  status: StepStatus;
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
    status: WorkflowStatus;
    error: StepError | null;
    created_at: string;
    updated_at: string;
    finished_at: string | null;
    steps: StepView[];
  };
}

export interface Attempt {
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
  created_at: string;
}

export interface ClassifyOutput {
  category: string;
  confidence: number;
  rationale: string;
  low_confidence: boolean;
  model: string;
  prompt_version: string;
}

export interface ExtractOutput {
  extracted_fields: Record<string, unknown>;
  confidence: number;
  rules_applied: { rule: string; detail: string }[];
  model: string;
  prompt_version: string;
}

export interface RoutingDecision {
  queue: string;
  priority: string;
  sla_minutes: number;
  recommended_next_action: string;
  required_followups: string[];
  explanation: string;
}

export interface RouteOutput {
  routing_decision: RoutingDecision;
  decided_by: Record<string, "rule" | "model">;
  rules_applied: { rule: string; detail: string }[];
  model: string;
  prompt_version: string;
}

export interface Meta {
  llm: { provider: string; model: string; simulated: boolean };
}

export interface CountByKey {
  key: string | null;
  count: number;
}

export interface RateByCode {
  code: string;
  count: number;
  rate: number;
}

export interface Stats {
  period: string;
  since: string;
  until: string;
  totals: { leads: number; pending: number; processing: number; completed: number; failed: number };
  by_category: CountByKey[];
  by_queue: CountByKey[];
  by_priority: CountByKey[];
  failures: {
    workflows: (RateByCode & { still_failed: number })[];
    calls_total: number;
    calls: RateByCode[];
  };
  step_latency: {
    step: string;
    samples: number;
    p50_ms: number | null;
    p95_ms: number | null;
    calls: number;
    call_p50_ms: number | null;
    call_p95_ms: number | null;
  }[];
}
