import { and, asc, eq, isNotNull, type SQL, sql } from "drizzle-orm";
import type { Database, Queryable } from "../db/client.ts";
import { channels, leads, workflows } from "../db/schema.ts";
import { asUser } from "../db/scoped.ts";
import { DomainError } from "../errors.ts";
import { joinSource, sourceColumns, toSource } from "../leads/source.ts";
import type { InboxItem } from "../leads/views.ts";
import type { HandlingState } from "../schemas/handling.ts";
import type { RoutingQueue } from "../schemas/routing.ts";
import { effectiveRouting } from "./effective.ts";

/** `failed`: leads whose workflow failed and that nobody has routed by hand yet (no effective queue). */
export type InboxQueue = RoutingQueue | "failed";

export interface InboxFilter {
  state: HandlingState;
  queue?: InboxQueue | null;
  limit: number;
  cursor?: string | null;
}

/** The inbox's position: the last item's due time, priority rank and id, exactly what the inbox is ordered by. */
interface InboxCursor {
  dueAt: string;
  rank: number;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const encodeInboxCursor = (c: InboxCursor) =>
  Buffer.from(JSON.stringify([c.dueAt, c.rank, c.id])).toString("base64url");

function decodeInboxCursor(raw: string): InboxCursor | null {
  try {
    const value = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 3) return null;
    const [dueAt, rank, id] = value;
    if (typeof dueAt !== "string" || Number.isNaN(Date.parse(dueAt))) return null;
    if (!Number.isInteger(rank) || rank < 0 || rank > 2) return null;
    if (typeof id !== "string" || !UUID.test(id)) return null;
    return { dueAt, rank, id };
  } catch {
    return null;
  }
}

const routing = effectiveRouting();

/**
 * The caller's leads in one handling state, most urgent first: by due time (arrival + effective SLA), then
 * priority, so breached ones lead and no two pages overlap. Only leads with a due time are listed: routed ones,
 * failed ones (due as a p1 in an hour), and any a person has given an SLA; a lead still being triaged joins when
 * its routing is known.
 */
export function listInbox(
  db: Database,
  userId: string,
  filter: InboxFilter,
): Promise<{ items: InboxItem[]; next_cursor: string | null }> {
  return asUser(db, userId, (tx) => listInboxIn(tx, userId, filter));
}

async function listInboxIn(db: Queryable, userId: string, filter: InboxFilter) {
  const conditions: SQL[] = [
    eq(workflows.userId, userId),
    eq(workflows.handlingState, filter.state),
    isNotNull(routing.dueAt),
  ];
  if (filter.queue === "failed") {
    conditions.push(eq(workflows.status, "failed"), sql`${routing.queue} is null`);
  } else if (filter.queue) {
    conditions.push(sql`${routing.queue} = ${filter.queue}`);
  }
  if (filter.cursor) {
    const cursor = decodeInboxCursor(filter.cursor);
    if (!cursor) {
      throw new DomainError("validation_failed", "The request is invalid.", [
        { path: "cursor", message: "is not a cursor this API issued" },
      ]);
    }
    conditions.push(
      sql`(${routing.dueAt}, ${routing.priorityRank}, ${workflows.leadId}) > (${cursor.dueAt}::timestamptz, ${cursor.rank}::int, ${cursor.id}::uuid)`,
    );
  }
  const rows = await db
    .select({
      id: leads.id,
      name: leads.name,
      contactChannel: leads.contactChannel,
      createdAt: workflows.leadCreatedAt,
      category: routing.category,
      queue: routing.queue,
      priority: routing.priority,
      slaMinutes: routing.slaMinutes,
      // Text from PostgreSQL itself, so the cursor keeps the exact microsecond-free value ordered on.
      dueAt: sql<string>`to_char(${routing.dueAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
      rank: routing.priorityRank,
      breached: routing.breached,
      state: workflows.handlingState,
      corrected: routing.corrected,
      workflowStatus: workflows.status,
      ...sourceColumns,
    })
    .from(workflows)
    .innerJoin(leads, eq(leads.id, workflows.leadId))
    .leftJoin(channels, joinSource)
    .where(and(...conditions))
    .orderBy(asc(routing.dueAt), asc(routing.priorityRank), asc(workflows.leadId))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page.map(
      (r): InboxItem => ({
        id: r.id,
        name: r.name,
        contact_channel: r.contactChannel as InboxItem["contact_channel"],
        created_at: r.createdAt.toISOString(),
        category: r.category,
        queue: r.queue,
        priority: r.priority,
        sla_minutes: r.slaMinutes,
        source: toSource(r),
        due_at: r.dueAt,
        breached: r.breached,
        state: r.state as HandlingState,
        corrected: r.corrected,
        workflow_status: r.workflowStatus as InboxItem["workflow_status"],
      }),
    ),
    next_cursor:
      rows.length > filter.limit && last
        ? encodeInboxCursor({ dueAt: last.dueAt, rank: Number(last.rank), id: last.id })
        : null,
  };
}
