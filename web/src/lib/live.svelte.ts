import { invalidate } from "$app/navigation";
import type { LeadChange, LiveMode } from "./types.ts";

type LoadKey = `${string}:${string}`;

/**
 * Live updates without a reload: while `active()` is true, re-run the loads that depend on `key` every
 * `intervalMs` (SvelteKit fetches fresh data and the page updates in place). Pauses while the tab is hidden and
 * stops by itself once nothing is pending or processing.
 */
export function poll(key: LoadKey, active: () => boolean, intervalMs = 1_000) {
  $effect(() => {
    if (!active()) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (stopped) return;
      if (document.visibilityState === "visible") {
        try {
          await invalidate(key);
        } catch {
          // A failed refresh is retried on the next tick.
        }
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    timer = setTimeout(tick, intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  });
}

/** After a change, wait this long for more before reloading: a lead's arrival and its first step come together. */
const DEBOUNCE_MS = 150;
/** After the stream was refused (it cannot run now), try it again this often, polling meanwhile. */
const RETRY_STREAM_MS = 30_000;

export interface LiveOptions {
  /** The loads to re-run (the key their `depends` names). */
  key: LoadKey;
  /** LIVE_UPDATES, from the layout's data. */
  mode: () => LiveMode;
  /** Which changes concern the page; every change of the user's leads when left out. */
  accept?: (change: LeadChange) => boolean;
  /** While the stream cannot run: poll whenever `active()` is true, every `intervalMs`. */
  fallback?: { active: () => boolean; intervalMs?: number };
}

/** `idle` until the page runs in a browser (the server render, or no JavaScript): nothing follows changes then. */
export type LiveState = "idle" | "connecting" | "live" | "polling";

function parseChange(data: unknown): LeadChange | null {
  try {
    const change = JSON.parse(String(data));
    return typeof change?.id === "string" ? change : null;
  } catch {
    return null;
  }
}

/**
 * Live updates from the signed-in user's lead changes: an EventSource on the web server's relay
 * (routes/events/stream) re-runs the loads that depend on `key` at each `lead` event that concerns the page,
 * debounced a little, so the page updates in place without a reload and without asking on a timer. When the
 * stream comes back after a break it reloads, since it may have missed changes. Where it cannot run
 * (LIVE_UPDATES=poll, or the relay refuses it) the page falls back to `poll()` and tries the stream again later.
 */
export function live(options: LiveOptions) {
  let state = $state<LiveState>("idle");
  // Derived, so that a reload's new page data with the same mode leaves the connection alone.
  const mode = $derived(options.mode());
  $effect(() => {
    if (mode !== "stream" || typeof EventSource === "undefined") {
      state = "polling";
      return;
    }
    let source: EventSource | null = null;
    // The page's data was loaded just before the first connection; every later one follows a break (or a
    // refusal) during which changes may have come and gone, so it reloads.
    let fresh = true;
    let debounce: ReturnType<typeof setTimeout> | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const reload = () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        invalidate(options.key).catch(() => {
          // A failed refresh is retried by the next change.
        });
      }, DEBOUNCE_MS);
    };
    const connect = () => {
      state = "connecting";
      const current = new EventSource("/events/stream");
      source = current;
      current.addEventListener("open", () => {
        if (!fresh) reload();
        fresh = false;
        state = "live";
      });
      current.addEventListener("lead", (message) => {
        const change = parseChange(message.data);
        if (change && (options.accept?.(change) ?? true)) reload();
      });
      current.addEventListener("error", () => {
        // Still CONNECTING: the browser reconnects by itself. CLOSED: the relay refused the stream.
        if (current.readyState !== EventSource.CLOSED) {
          state = "connecting";
          return;
        }
        current.close();
        fresh = false;
        state = "polling";
        reload();
        retry = setTimeout(connect, RETRY_STREAM_MS);
      });
    };
    connect();
    return () => {
      source?.close();
      clearTimeout(debounce);
      clearTimeout(retry);
    };
  });
  poll(
    options.key,
    () => state === "polling" && (options.fallback?.active() ?? false),
    options.fallback?.intervalMs,
  );
  return {
    get state() {
      return state;
    },
  };
}

/** The current time, ticking every `intervalMs` in the browser; starts at the server's time so both renders agree. */
export function clock(start: () => number, intervalMs = 1_000) {
  let now = $state(start());
  $effect(() => {
    now = Date.now();
    const timer = setInterval(() => {
      now = Date.now();
    }, intervalMs);
    return () => clearInterval(timer);
  });
  return {
    get now() {
      return now;
    },
  };
}
