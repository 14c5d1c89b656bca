import { z } from "zod";
import { type Listener, listen } from "../db/listen.ts";

/** What GET /events/stream sends as each `lead` event: ids and states only, never a lead's text. */
export interface LeadChange {
  id: string;
  status: string;
  handling_state: string;
}

const notification = z.object({
  user_id: z.uuid(),
  id: z.uuid(),
  status: z.string(),
  handling_state: z.string(),
});

type Subscriber = (change: LeadChange) => void;

/**
 * The process's one LISTEN connection on `lead_changes` (migration 0007's trigger), fanned out in memory to the
 * streams of the user each change belongs to, so a thousand open browsers cost one database connection, not a
 * thousand. Opened with the first subscriber and closed with the last.
 */
export class LeadChangeHub {
  private readonly byUser = new Map<string, Set<Subscriber>>();
  private listener: (Listener & { ready: Promise<void> }) | null = null;

  private readonly databaseUrl: string;
  private readonly onError: (err: unknown) => void;

  constructor(databaseUrl: string, onError: (err: unknown) => void = () => {}) {
    this.databaseUrl = databaseUrl;
    this.onError = onError;
  }

  /** Resolves once the hub is listening, so no change made after it is missed; returns the unsubscribe. */
  async subscribe(userId: string, subscriber: Subscriber): Promise<() => void> {
    let set = this.byUser.get(userId);
    if (!set) {
      set = new Set();
      this.byUser.set(userId, set);
    }
    set.add(subscriber);
    this.listener ??= listen(this.databaseUrl, "lead_changes", (payload) => this.dispatch(payload), {
      onError: this.onError,
    });
    await this.listener.ready;
    return () => this.unsubscribe(userId, subscriber);
  }

  get subscribers(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  private unsubscribe(userId: string, subscriber: Subscriber) {
    const set = this.byUser.get(userId);
    set?.delete(subscriber);
    if (set?.size === 0) this.byUser.delete(userId);
    if (this.byUser.size === 0 && this.listener) {
      void this.listener.close();
      this.listener = null;
    }
  }

  private dispatch(payload: string) {
    let parsed: z.infer<typeof notification>;
    try {
      parsed = notification.parse(JSON.parse(payload));
    } catch (err) {
      this.onError(err);
      return;
    }
    const { user_id, ...change } = parsed;
    for (const subscriber of this.byUser.get(user_id) ?? []) subscriber(change);
  }
}

const hubs = new Map<string, LeadChangeHub>();

/** The process's hub for a database: every API instance in the process shares its one connection. */
export function leadChangeHub(databaseUrl: string, onError?: (err: unknown) => void): LeadChangeHub {
  let hub = hubs.get(databaseUrl);
  if (!hub) {
    hub = new LeadChangeHub(databaseUrl, onError);
    hubs.set(databaseUrl, hub);
  }
  return hub;
}
