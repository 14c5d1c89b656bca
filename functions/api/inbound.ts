import type { ChannelRow } from "@leadflow/core/channels/channels";
import {
  type DeliveryResult,
  keptHeaders,
  recordDelivery,
  recordInboundDelivery,
  settleDelivery,
} from "@leadflow/core/channels/deliveries";
import { type InboundLead, submitInboundLeads } from "@leadflow/core/channels/submit";
import { DomainError } from "@leadflow/core/errors";
import type { ChannelType } from "@leadflow/core/schemas/channels";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import type { AppEnv } from "./context.ts";
import { ApiError, errorResponse, zodDetails } from "./errors.ts";

/** Providers send up to this much in one delivery (an email with its HTML part); past it, 413. */
export const MAX_INBOUND_BYTES = 1024 * 1024;

export const inboundBodyLimit = bodyLimit({
  maxSize: MAX_INBOUND_BYTES,
  onError: (c) =>
    errorResponse(c, "payload_too_large", `The delivery is larger than ${MAX_INBOUND_BYTES} bytes.`),
});

/**
 * For a provider that addresses its channel by id (WhatsApp, email): reads the body once, as bytes (signatures
 * are over exactly these), and stores it raw at the channel in the lookup's own transaction, before anything is
 * parsed or trusted. An unknown or deleted channel is 404 and stores nothing.
 */
export async function receiveAtChannel(c: Context<AppEnv>, type: ChannelType, channelId: string) {
  const body = new Uint8Array(await c.req.arrayBuffer());
  const received = await recordInboundDelivery(
    c.var.deps.database.db,
    type,
    channelId,
    keptHeaders(c.req.raw.headers),
    body,
  );
  if (!received) throw new DomainError("not_found", "No such channel.");
  const { channel, deliveryId } = received;
  c.set("log", c.var.log.child({ user_id: channel.userId, channel_id: channel.id, delivery_id: deliveryId }));
  return { channel, body, deliveryId };
}

/**
 * As receiveAtChannel, for a channel already found (the web chat's, by its public key, for its CORS check):
 * stores the delivery raw before anything is parsed or trusted, so a bad one can be inspected and replayed.
 */
export async function receiveDelivery(c: Context<AppEnv>, channel: ChannelRow) {
  const body = new Uint8Array(await c.req.arrayBuffer());
  const deliveryId = await recordDelivery(
    c.var.deps.database.db,
    channel,
    keptHeaders(c.req.raw.headers),
    body,
  );
  c.set("log", c.var.log.child({ user_id: channel.userId, channel_id: channel.id, delivery_id: deliveryId }));
  return { body, deliveryId };
}

export async function settle(
  c: Context<AppEnv>,
  channel: ChannelRow,
  deliveryId: string,
  result: DeliveryResult,
) {
  await settleDelivery(c.var.deps.database.db, channel.userId, deliveryId, result);
  c.var.log.info({ outcome: result.outcome, leads: result.leadIds?.length ?? 0 }, "delivery handled");
}

/**
 * A delivery that is refused keeps its row with why (`rejected`: its credentials; `invalid`: its content), and
 * the provider gets `error`. Never trusted, never a lead, but there to inspect.
 */
export async function refuse(
  c: Context<AppEnv>,
  channel: ChannelRow,
  deliveryId: string,
  result: DeliveryResult & { outcome: "rejected" | "invalid" },
  error: ApiError,
): Promise<never> {
  await settle(c, channel, deliveryId, result);
  throw error;
}

/** The body as JSON, or the delivery refused as `invalid_json`. */
export async function jsonOrRefuse(
  c: Context<AppEnv>,
  channel: ChannelRow,
  deliveryId: string,
  body: Uint8Array,
) {
  const json = parseJson(body);
  if (json !== undefined) return json;
  return refuse(
    c,
    channel,
    deliveryId,
    { outcome: "invalid", error: "the body is not JSON" },
    new ApiError("invalid_json", "The request body is not valid JSON."),
  );
}

/** The payload as `schema` reads it, or the delivery refused as `validation_failed`, naming each problem. */
export async function payloadOrRefuse<T>(
  c: Context<AppEnv>,
  channel: ChannelRow,
  deliveryId: string,
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
): Promise<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = zodDetails(parsed.error);
  const summary = details.map((d) => `${d.path}: ${d.message}`).join("; ");
  return refuse(
    c,
    channel,
    deliveryId,
    { outcome: "invalid", error: `not ${what}: ${summary}`.slice(0, 2000) },
    new ApiError("validation_failed", `The body is not ${what}.`, { details }),
  );
}

/** The delivery's leads through the POST /leads path, its outcome recorded in the same transaction. */
export async function submitDelivery(
  c: Context<AppEnv>,
  channel: ChannelRow,
  deliveryId: string,
  leads: InboundLead[],
): Promise<DeliveryResult> {
  const result = await submitInboundLeads(
    {
      db: c.var.deps.database.db,
      queue: c.var.deps.queue,
      onEnqueueFailure: (err, workflowId) =>
        c.var.log.warn(
          { err, workflow_id: workflowId },
          "enqueue failed; the reconciler will start this workflow",
        ),
    },
    channel,
    deliveryId,
    leads,
  );
  c.var.log.info({ outcome: result.outcome, leads: result.leadIds?.length ?? 0 }, "delivery handled");
  const made = result.leadIds?.length ?? 0;
  if (made > 0) c.var.deps.metrics.leadsAccepted.inc({ replayed: "false" }, made);
  return result;
}

/** Parses JSON from bytes already read; null when it is not JSON. */
export function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return undefined;
  }
}
