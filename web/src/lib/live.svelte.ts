import { invalidate } from "$app/navigation";

/**
 * Live updates without a reload: while `active()` is true, re-run the loads that depend on `key` every
 * `intervalMs` (SvelteKit fetches fresh data and the page updates in place). Pauses while the tab is hidden and
 * stops by itself once nothing is pending or processing.
 */
export function poll(key: `${string}:${string}`, active: () => boolean, intervalMs = 1_000) {
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
