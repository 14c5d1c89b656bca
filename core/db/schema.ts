import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigserial,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { CorrectionChanges } from "../leads/views.ts";
import { CHANNEL_TYPES, DELIVERY_OUTCOMES } from "../schemas/channels.ts";
import { HANDLING_STATES } from "../schemas/handling.ts";
import { CONTACT_CHANNELS } from "../schemas/lead.ts";
import { DELIVERY_STATUSES, WEBHOOK_ENDPOINT_STATUSES } from "../schemas/webhooks.ts";
import {
  STEP_NAMES,
  STEP_STATUSES,
  type StepError,
  WAITING_REASONS,
  WORKFLOW_STATUSES,
} from "../schemas/workflow.ts";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

const createdAt = () => timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow();
const inList = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(", ")})`);

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`)],
);

export const leads = pgTable(
  "leads",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    contactChannel: text("contact_channel").notNull(),
    contact: text("contact"),
    message: text("message").notNull(),
    idempotencyKey: text("idempotency_key"),
    idempotencyFingerprint: text("idempotency_fingerprint"),
    /** The channel connection the lead arrived on (WhatsApp, email, web chat); null for POST /leads. */
    channelId: uuid("channel_id").references((): AnyPgColumn => channels.id),
    createdAt: createdAt(),
  },
  (t) => [
    check("leads_contact_channel_check", inList("contact_channel", CONTACT_CHANNELS)),
    index("leads_user_created_idx").on(t.userId, t.createdAt.desc(), t.id.desc()),
    uniqueIndex("leads_user_idempotency_key").on(t.userId, t.idempotencyKey),
  ],
);

export const workflows = pgTable(
  "workflows",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    leadId: uuid("lead_id")
      .notNull()
      .unique()
      .references(() => leads.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status").notNull().default("pending"),
    error: jsonb("error").$type<StepError | null>(),
    /** Bumped by every resume, so a resumed step gets fresh queue job ids. */
    run: integer("run").notNull().default(1),
    // Copies of step outputs the list filters and sorts on; the step rows stay the source of truth.
    category: text("category"),
    queue: text("queue"),
    priority: text("priority"),
    slaMinutes: integer("sla_minutes"),
    /** Why the workflow's current step is held back (provider flow control, the user's daily budget), and until when. */
    waitingReason: text("waiting_reason"),
    waitingUntil: timestamp("waiting_until", { withTimezone: true, precision: 3 }),
    leadCreatedAt: timestamp("lead_created_at", { withTimezone: true, precision: 3 }).notNull(),
    // A person's work on the lead (core/handling): kept beside the routing it is measured against.
    handlingState: text("handling_state").notNull().default("open"),
    firstResponseAt: timestamp("first_response_at", { withTimezone: true, precision: 3 }),
    handlingUpdatedAt: timestamp("handling_updated_at", { withTimezone: true, precision: 3 })
      .notNull()
      .defaultNow(),
    // The latest correction of each routing field (null: the AI's stands), written with its lead_corrections row;
    // core/handling/effective.ts is the one place that combines them with the AI's values.
    correctedCategory: text("corrected_category"),
    correctedQueue: text("corrected_queue"),
    correctedPriority: text("corrected_priority"),
    correctedSlaMinutes: integer("corrected_sla_minutes"),
    corrections: integer("corrections").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    check("workflows_status_check", inList("status", WORKFLOW_STATUSES)),
    check("workflows_handling_state_check", inList("handling_state", HANDLING_STATES)),
    check("workflows_waiting_reason_check", inList("waiting_reason", WAITING_REASONS)),
    index("workflows_user_created_idx").on(t.userId, t.leadCreatedAt.desc(), t.leadId.desc()),
    index("workflows_user_status_idx").on(t.userId, t.status, t.leadCreatedAt.desc(), t.leadId.desc()),
    index("workflows_status_updated_idx").on(t.status, t.updatedAt),
  ],
);

export const workflowSteps = pgTable(
  "workflow_steps",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workflowId: uuid("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    position: smallint("position").notNull(),
    status: text("status").notNull().default("not_started"),
    output: jsonb("output"),
    error: jsonb("error").$type<StepError | null>(),
    attempts: integer("attempts").notNull().default(0),
    /** Queue deliveries that ended in a transient failure; bounded by STEP_MAX_ATTEMPTS. */
    transientFailures: integer("transient_failures").notNull().default(0),
    /** Claims taken over after their lease ran out (the worker died or hung); bounded by STEP_MAX_TAKEOVERS. */
    takeovers: integer("takeovers").notNull().default(0),
    /** Deliveries put off by flow control or the user's budget; names each deferred delivery's queue job. */
    waits: integer("waits").notNull().default(0),
    /** A claim on the step by one worker; a second delivery while it is in the future changes nothing. */
    leaseToken: uuid("lease_token"),
    leaseUntil: timestamp("lease_until", { withTimezone: true, precision: 3 }),
    /** When a step waiting on a transient failure is due again. */
    retryAt: timestamp("retry_at", { withTimezone: true, precision: 3 }),
    startedAt: timestamp("started_at", { withTimezone: true, precision: 3 }),
    finishedAt: timestamp("finished_at", { withTimezone: true, precision: 3 }),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    check("workflow_steps_status_check", inList("status", STEP_STATUSES)),
    check("workflow_steps_name_check", inList("name", STEP_NAMES)),
    uniqueIndex("workflow_steps_workflow_name_key").on(t.workflowId, t.name),
    index("workflow_steps_status_idx").on(t.status, t.updatedAt),
  ],
);

export const stepAttempts = pgTable(
  "step_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    workflowId: uuid("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    stepId: uuid("step_id")
      .notNull()
      .references(() => workflowSteps.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    step: text("step").notNull(),
    number: integer("number").notNull(),
    outcome: text("outcome").notNull(),
    error: jsonb("error").$type<StepError | null>(),
    latencyMs: integer("latency_ms"),
    model: text("model"),
    promptVersion: text("prompt_version"),
    tokens: jsonb("tokens").$type<{ prompt: number; completion: number; total: number } | null>(),
    rawResponse: text("raw_response"),
    validationErrors: jsonb("validation_errors"),
    repaired: text("repaired"),
    /** USD at LLM_PRICE_INPUT_PER_MTOK / LLM_PRICE_OUTPUT_PER_MTOK when the call was made; 0 without usage. */
    costUsd: doublePrecision("cost_usd").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("step_attempts_step_number_key").on(t.stepId, t.number),
    index("step_attempts_workflow_idx").on(t.workflowId, t.id),
    // The user's tokens today (USER_DAILY_TOKEN_BUDGET) and per-period stats read attempts by user and time.
    index("step_attempts_user_created_idx").on(t.userId, t.createdAt),
  ],
);

export const workflowEvents = pgTable(
  "workflow_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    workflowId: uuid("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    type: text("type").notNull(),
    step: text("step"),
    attempt: integer("attempt"),
    from: text("from_status"),
    to: text("to_status"),
    detail: jsonb("detail"),
  },
  (t) => [index("workflow_events_workflow_idx").on(t.workflowId, t.id)],
);

/**
 * The API's fixed-window rate-limit counters where there is no Redis (RATE_LIMIT_STORE=postgres, as on Lambda).
 * One row a key, named by the SHA-256 of the limit and its key part (an address, an email, a user id), so the
 * table holds no address or email. It has no user_id, hence no row-level security policy: the API's role may use
 * every row, the worker's none (migration 0002). Expired rows are recycled by the next hit on the same key and
 * pruned a few at a time by hits on other keys (core/rate-limits/postgres.ts).
 */
export const rateLimitCounters = pgTable(
  "rate_limit_counters",
  {
    key: bytea("key").primaryKey(),
    count: integer("count").notNull(),
    windowEndsAt: timestamp("window_ends_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("rate_limit_counters_window_ends_idx").on(t.windowEndsAt)],
);

/**
 * Provider flow control where there is no Redis (AWS Lambda): one row a model call in the last minute, with the
 * tokens its answer reported, per provider (a digest of the base URL). No user_id, so no row-level security: the
 * worker's role uses every row, the API's none (migration 0003).
 */
export const llmFlowCalls = pgTable(
  "llm_flow_calls",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    provider: text("provider").notNull(),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull(),
    tokens: integer("tokens").notNull().default(0),
  },
  (t) => [index("llm_flow_calls_provider_at_idx").on(t.provider, t.at)],
);

/** A provider's pause after a 429 with Retry-After: every call to it waits until `paused_until`. */
export const llmFlowState = pgTable("llm_flow_state", {
  provider: text("provider").primaryKey(),
  pausedUntil: timestamp("paused_until", { withTimezone: true, precision: 3 }),
  /** Calls turned away in the current minute: how widely the next ones are spread (no thundering herd). */
  deferred: integer("deferred").notNull().default(0),
  deferredWindowEndsAt: timestamp("deferred_window_ends_at", { withTimezone: true, precision: 3 }),
});

/**
 * Tokens signed out before their `exp` (POST /auth/logout), by `jti`: refused from then on. A row is kept only
 * until the token would have expired anyway, then pruned by later logouts.
 */
export const revokedTokens = pgTable(
  "revoked_tokens",
  {
    jti: uuid("jti").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("revoked_tokens_expires_idx").on(t.expiresAt)],
);

/**
 * Machine clients' API keys (`lf_…`). Only the SHA-256 digest of a key is kept: a key carries 192 random bits, so
 * a digest lookup is as safe as a slow hash and costs no bcrypt per request. `revoked_at` keeps a deleted key's
 * row (its prefix stays recognisable in the log) while it no longer authenticates or counts toward the limit.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    digest: bytea("digest").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, precision: 3 }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex("api_keys_digest_key").on(t.digest),
    index("api_keys_user_created_idx").on(t.userId, t.createdAt),
  ],
);

/**
 * A user's connection of one inbound channel. `settings` holds only what may be shown again (the email provider,
 * the web chat's allowed origins). Secrets the user wrote or we generated are never stored readable:
 * `verify_token_digest` and `password_digest` are SHA-256 digests (they are only compared), and `sealed_secret`
 * (WhatsApp's app secret, Mailgun's signing key, which must compute HMACs) is AES-256-GCM under
 * CHANNEL_SECRETS_KEY. A deleted channel keeps its row (its leads still say where they came from) and answers 404.
 */
export const channels = pgTable(
  "channels",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    name: text("name").notNull(),
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull(),
    verifyTokenDigest: bytea("verify_token_digest"),
    passwordDigest: bytea("password_digest"),
    sealedSecret: text("sealed_secret"),
    publicKey: text("public_key"),
    createdAt: createdAt(),
    deletedAt: timestamp("deleted_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    check("channels_type_check", inList("type", CHANNEL_TYPES)),
    uniqueIndex("channels_public_key_key").on(t.publicKey),
    index("channels_user_created_idx").on(t.userId, t.createdAt),
  ],
);

/**
 * Every delivery a provider made to a channel, stored raw (the headers that matter, the body's exact bytes) before
 * it is parsed, so a bad one can be inspected and replayed. `outcome` is null only while it is being handled.
 */
export const channelDeliveries = pgTable(
  "channel_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    receivedAt: timestamp("received_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    headers: jsonb("headers").$type<Record<string, string>>().notNull(),
    body: bytea("body").notNull(),
    outcome: text("outcome"),
    leadIds: uuid("lead_ids").array().notNull().default(sql`'{}'::uuid[]`),
    error: text("error"),
  },
  (t) => [
    check("channel_deliveries_outcome_check", inList("outcome", DELIVERY_OUTCOMES)),
    index("channel_deliveries_channel_received_idx").on(t.channelId, t.receivedAt.desc()),
  ],
);

/**
 * Mailgun's webhook tokens already seen, per channel: a token is accepted once within its 5-minute window, so a
 * captured request cannot be replayed. Rows past `expires_at` carry nothing and are pruned by later deliveries.
 */
export const inboundTokens = pgTable(
  "inbound_tokens",
  {
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    token: text("token").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.channelId, t.token] }),
    index("inbound_tokens_expires_idx").on(t.expiresAt),
  ],
);

/**
 * A person overruling the AI's routing: each row is one correction, never edited (the API's role may only insert
 * and read; a trigger refuses updates). `changes` is `{<field>: {from, to}}`, `from` the effective value just before.
 */
export const leadCorrections = pgTable(
  "lead_corrections",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    leadId: uuid("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    changes: jsonb("changes").$type<CorrectionChanges>().notNull(),
    reason: text("reason").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("lead_corrections_lead_idx").on(t.leadId, t.createdAt)],
);

/** Where a user's outbound webhooks go. The secret signs each delivery, so it is kept (and shown only once). */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    events: text("events").array().notNull(),
    secret: text("secret").notNull(),
    status: text("status").notNull().default("active"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    check("webhook_endpoints_status_check", inList("status", WEBHOOK_ENDPOINT_STATUSES)),
    index("webhook_endpoints_user_idx").on(t.userId, t.createdAt),
  ],
);

/**
 * The outbox: one row per event per subscribed endpoint, written by a trigger on `workflows` in the statement
 * that makes the change (migration 0008), then delivered from a queue. Its id is the `webhook-id` of every try.
 * `payload` is the body as sent (text: the exact bytes), fixed at the first try so every retry sends the same.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    leadId: uuid("lead_id").references(() => leads.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    payload: text("payload"),
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** When the due try was last handed to the queue: a sweep hands it out again only if it has sat a while. */
    enqueuedAt: timestamp("enqueued_at", { withTimezone: true, precision: 3 }),
    /** A claim by one delivery job: another delivery of the same try while it is in the future sends nothing. */
    leaseUntil: timestamp("lease_until", { withTimezone: true, precision: 3 }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (t) => [
    check("webhook_deliveries_status_check", inList("status", DELIVERY_STATUSES)),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.createdAt.desc()),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
  ],
);
