import type { ChannelRow } from "@leadflow/core/channels/channels";
import {
  type DeliveryResult,
  keptHeaders,
  recordDelivery,
  settleDelivery,
} from "@leadflow/core/channels/deliveries";
import { type InboundLead, submitInboundLeads } from "@leadflow/core/channels/submit";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "./context.ts";
import { errorResponse } from "./errors.ts";

/** Providers send up to this much in one delivery (an email with its HTML part); past it, 413. */
export const MAX_INBOUND_BYTES = 1024 * 1024;

export const inboundBodyLimit = bodyLimit({
  maxSize: MAX_INBOUND_BYTES,
  onError: (c) =>
    errorResponse(c, "payload_too_large", `The delivery is larger than ${MAX_INBOUND_BYTES} bytes.`),
});

/**
 * Reads the body once, as bytes (signatures are over exactly these), and stores the delivery raw before anything
 * is parsed or trusted, so a bad one can be inspected and replayed.
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
