import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { channelDeliveries, channels } from "../db/schema.ts";
import { API_ROLE, asUser } from "../db/scoped.ts";
import { DomainError } from "../errors.ts";
import type { ChannelInput, ChannelType } from "../schemas/channels.ts";
import { randomSecret, type SecretBox, sha256 } from "./secrets.ts";
import type { ChannelView, CreatedChannel, DeliveryView } from "./views.ts";

export type { ChannelView, CreatedChannel, DeliveryView } from "./views.ts";

export type ChannelRow = typeof channels.$inferSelect;

export interface ChannelDeps {
  db: Database;
  secrets: SecretBox;
  /** PUBLIC_API_URL: the base of every inbound URL. */
  publicApiUrl: string;
}

/** What a provider posts to: WhatsApp and email by channel id, web chat by its public key (the page knows no id). */
export function inboundUrl(publicApiUrl: string, row: Pick<ChannelRow, "id" | "type" | "publicKey">): string {
  const addressed = row.type === "webchat" ? row.publicKey : row.id;
  return `${publicApiUrl}/inbound/${row.type}/${addressed}`;
}

export function channelView(publicApiUrl: string, row: ChannelRow): ChannelView {
  return {
    id: row.id,
    type: row.type as ChannelType,
    name: row.name,
    inbound_url: inboundUrl(publicApiUrl, row),
    settings: row.settings,
    ...(row.publicKey ? { public_key: row.publicKey } : {}),
    created_at: row.createdAt.toISOString(),
  };
}

/** Splits what the user sent into what may be shown again and what is kept only hashed or sealed. */
function storedForm(input: ChannelInput, secrets: SecretBox) {
  switch (input.type) {
    case "whatsapp":
      return {
        row: {
          settings: {},
          verifyTokenDigest: sha256(input.settings.verify_token),
          sealedSecret: secrets.seal(input.settings.app_secret),
        },
      };
    case "email": {
      if (input.settings.provider === "mailgun") {
        return {
          row: { settings: { provider: "mailgun" }, sealedSecret: secrets.seal(input.settings.signing_key) },
        };
      }
      const password = randomSecret();
      return {
        row: { settings: { provider: "postmark" }, passwordDigest: sha256(password) },
        secret: password,
      };
    }
    case "webchat":
      return {
        row: {
          settings: { allowed_origins: input.settings.allowed_origins },
          publicKey: randomSecret("lfpk_"),
        },
      };
  }
}

export async function createChannel(
  deps: ChannelDeps,
  userId: string,
  input: ChannelInput,
): Promise<CreatedChannel> {
  const { row, secret } = storedForm(input, deps.secrets);
  const [created] = await asUser(deps.db, userId, (tx) =>
    tx
      .insert(channels)
      .values({ userId, type: input.type, name: input.name, ...row })
      .returning(),
  );
  return { ...channelView(deps.publicApiUrl, created!), ...(secret ? { secret } : {}) };
}

export async function listChannels(deps: ChannelDeps, userId: string): Promise<{ items: ChannelView[] }> {
  const rows = await asUser(deps.db, userId, (tx) =>
    tx
      .select()
      .from(channels)
      .where(and(eq(channels.userId, userId), isNull(channels.deletedAt)))
      .orderBy(asc(channels.createdAt), asc(channels.id)),
  );
  return { items: rows.map((row) => channelView(deps.publicApiUrl, row)) };
}

async function ownLiveChannel(tx: Transaction, userId: string, id: string) {
  const [row] = await tx
    .select({ id: channels.id })
    .from(channels)
    .where(and(eq(channels.id, id), eq(channels.userId, userId), isNull(channels.deletedAt)));
  if (!row) throw new DomainError("not_found", "No such channel.");
}

/** Deletes a channel: its inbound URL answers 404 from then on; its leads and deliveries stay. */
export async function deleteChannel(db: Database, userId: string, id: string): Promise<void> {
  await asUser(db, userId, async (tx) => {
    await ownLiveChannel(tx, userId, id);
    await tx.update(channels).set({ deletedAt: sql`now()` }).where(eq(channels.id, id));
  });
}

/** A channel's most recent deliveries, newest first. */
export async function listDeliveries(
  db: Database,
  userId: string,
  channelId: string,
  limit = 50,
): Promise<{ items: DeliveryView[] }> {
  return asUser(db, userId, async (tx) => {
    await ownLiveChannel(tx, userId, channelId);
    const rows = await tx
      .select()
      .from(channelDeliveries)
      .where(and(eq(channelDeliveries.channelId, channelId), eq(channelDeliveries.userId, userId)))
      .orderBy(desc(channelDeliveries.receivedAt), desc(channelDeliveries.id))
      .limit(limit);
    return {
      items: rows.map((r) => ({
        id: r.id,
        received_at: r.receivedAt.toISOString(),
        outcome: r.outcome as DeliveryView["outcome"],
        lead_ids: r.leadIds,
        error: r.error,
      })),
    };
  });
}

/**
 * The live channel an inbound request addresses, found before anyone is known: row-level security shows this
 * transaction only the channel it names. Null for an unknown, deleted or other-typed channel (all a 404).
 */
export async function findInboundChannel(
  db: Database,
  type: ChannelType,
  address: { id: string } | { publicKey: string },
): Promise<ChannelRow | null> {
  return db.transaction(
    async (tx) => {
      const [setting, value] =
        "id" in address ? ["app.channel_id", address.id] : ["app.channel_public_key", address.publicKey];
      await tx.execute(
        sql`select set_config('role', ${API_ROLE}, true), set_config(${setting}, ${value}, true)`,
      );
      const match = "id" in address ? eq(channels.id, address.id) : eq(channels.publicKey, address.publicKey);
      const [row] = await tx
        .select()
        .from(channels)
        .where(and(match, eq(channels.type, type), isNull(channels.deletedAt)));
      return row ?? null;
    },
    // A lookup writes nothing: read only says so, and Postgres then has nothing to flush at its commit.
    { accessMode: "read only" },
  );
}
