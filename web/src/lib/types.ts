/**
 * The API's JSON shapes as the web app reads them. Core defines them once (core/leads/views.ts,
 * core/auth/views.ts, the step outputs in core/steps/); this module re-exports their types under the web app's
 * names. Type-only: nothing of core reaches the browser or server bundle (`export type` is erased), and the
 * modules named here import nothing heavier than zod's types, so the web app's type check stays free of the
 * database and of Node's types.
 */

import type { StatsPeriod } from "@leadflow/core/leads/views";
import type { ChannelType } from "@leadflow/core/schemas/channels";
import type { Category } from "@leadflow/core/schemas/classification";
import type { HandlingState } from "@leadflow/core/schemas/handling";
import type { ContactChannel } from "@leadflow/core/schemas/lead";
import type { Priority, RoutingQueue } from "@leadflow/core/schemas/routing";
import type { WebhookEvent } from "@leadflow/core/schemas/webhooks";
import type { WorkflowStatus } from "@leadflow/core/schemas/workflow";

export type { ApiKeyView as ApiKey, CreatedApiKey } from "@leadflow/core/api-keys/views";
export type { PublicUser as User } from "@leadflow/core/auth/views";
export type {
  ChannelView as Channel,
  CreatedChannel,
  DeliveryView as ChannelDelivery,
} from "@leadflow/core/channels/views";
export type {
  AttemptView as Attempt,
  CorrectionView as Correction,
  CountByKey,
  EventView as LeadEvent,
  InboxItem,
  LeadDetail,
  LeadListItem,
  LeadSource,
  LeadStats as Stats,
  StepView,
} from "@leadflow/core/leads/views";
export type { HandlingState } from "@leadflow/core/schemas/handling";
export type { ClassifyOutput } from "@leadflow/core/steps/classify";
export type { ExtractOutput } from "@leadflow/core/steps/extract";
export type { RouteOutput } from "@leadflow/core/steps/route";
export type {
  WebhookDeliveryView as WebhookDelivery,
  WebhookEndpointView as WebhookEndpoint,
} from "@leadflow/core/webhooks/views";
export type { Category, Priority, RoutingQueue };

/** The API's error envelope, `{"error": {...}}` (functions/api/errors.ts). */
export interface ApiErrorBody {
  code: string;
  message: string;
  details?: { path: string; message: string }[];
}

/** GET /meta (functions/api/routes/health.ts). */
export interface Meta {
  llm: { provider: string; model: string; simulated: boolean };
}

/**
 * One `lead` event of GET /events/stream, as the web server relays it (core/live/lead-changes.ts): ids and states
 * only, never a lead's text.
 */
export interface LeadChange {
  id: string;
  status: WorkflowStatus;
  handling_state: HandlingState;
}

/** How pages follow changes (LIVE_UPDATES): the relayed event stream, or polling where it cannot run. */
export type LiveMode = "stream" | "poll";

// The values the pages offer (filters, the channel picker, the overview's periods) are needed at run time, so
// they are listed here rather than imported from core's schemas (which would bring zod into the bundle). Each is
// checked against core's union at compile time only: `satisfies` refuses a value core does not know, and
// ListsNameEveryValue below refuses a list that misses one.

export const WORKFLOW_STATUSES = [
  "pending",
  "processing",
  "completed",
  "failed",
] as const satisfies readonly WorkflowStatus[];
export const CATEGORIES = [
  "sales_new",
  "sales_existing",
  "support",
  "spam",
  "unknown",
] as const satisfies readonly Category[];
export const QUEUES = [
  "sales",
  "support",
  "ignore",
  "needs_clarification",
] as const satisfies readonly RoutingQueue[];
export const PRIORITIES = ["p0", "p1", "p2"] as const satisfies readonly Priority[];
export const CHANNELS = [
  "whatsapp",
  "webchat",
  "email",
  "other",
] as const satisfies readonly ContactChannel[];
export const HANDLING_STATES = ["open", "answered", "closed"] as const satisfies readonly HandlingState[];
export const STATS_PERIODS = ["24h", "7d", "30d"] as const satisfies readonly StatsPeriod[];
export const CHANNEL_TYPES = ["whatsapp", "email", "webchat"] as const satisfies readonly ChannelType[];
export const WEBHOOK_EVENTS = [
  "lead.routed",
  "lead.failed",
  "lead.corrected",
  "lead.handled",
] as const satisfies readonly WebhookEvent[];

/** True when the list names every member of the union `T`. */
type NamesEvery<T, List extends readonly T[]> = [Exclude<T, List[number]>] extends [never] ? true : false;
type Assert<Check extends true> = Check;
/** A compile-time check, nothing at run time: a list above that misses one of core's values fails here. */
export type ListsNameEveryValue = [
  Assert<NamesEvery<WorkflowStatus, typeof WORKFLOW_STATUSES>>,
  Assert<NamesEvery<Category, typeof CATEGORIES>>,
  Assert<NamesEvery<RoutingQueue, typeof QUEUES>>,
  Assert<NamesEvery<Priority, typeof PRIORITIES>>,
  Assert<NamesEvery<ContactChannel, typeof CHANNELS>>,
  Assert<NamesEvery<HandlingState, typeof HANDLING_STATES>>,
  Assert<NamesEvery<StatsPeriod, typeof STATS_PERIODS>>,
  Assert<NamesEvery<ChannelType, typeof CHANNEL_TYPES>>,
  Assert<NamesEvery<WebhookEvent, typeof WEBHOOK_EVENTS>>,
];
