import pg from "pg";

export interface Listener {
  close(): Promise<void>;
}

/**
 * One connection LISTENing on `channel`, handing each notification's payload to `onNotify`. A lost connection is
 * opened again (after `retryMs`), and `onReconnect` is told, since notifications sent meanwhile are gone: the
 * caller catches up from the tables, which are the truth.
 */
export function listen(
  url: string,
  channel: string,
  onNotify: (payload: string) => void,
  options: { onReconnect?: () => void; onError?: (err: unknown) => void; retryMs?: number } = {},
): Listener & { ready: Promise<void> } {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let first = true;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const connect = async () => {
    const c = new pg.Client({ connectionString: url });
    client = c;
    const lost = (err?: unknown) => {
      if (err) options.onError?.(err);
      if (closed || client !== c) return;
      client = null;
      c.end().catch(() => {});
      retry = setTimeout(() => void connect(), options.retryMs ?? 1_000);
    };
    c.on("error", lost);
    c.on("end", () => lost());
    c.on("notification", (message) => onNotify(message.payload ?? ""));
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (!first) options.onReconnect?.();
      first = false;
      markReady();
    } catch (err) {
      lost(err);
    }
  };
  void connect();

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
