/** Where sign-in goes when `next` is missing or not ours: the inbox, a signed-in user's home page. */
export const DEFAULT_NEXT = "/inbox";

/**
 * Where to go after signing in: `next` resolved against this site's own origin, the way a browser would, and kept
 * only if it is a path on this site. A browser drops tabs and newlines inside URLs and reads `\` as `/`, so
 * `/\t/evil.com` or `/\evil.com` lead off-site however they look; resolving first judges what the browser will
 * do, and answering the resolved path (never the raw string) means SvelteKit's redirect never sees an external
 * URL, which it refuses with a 500.
 */
export function safeNext(next: string | null | undefined, origin: string): string {
  if (!next?.startsWith("/")) return DEFAULT_NEXT;
  let resolved: URL;
  try {
    resolved = new URL(next, origin);
  } catch {
    return DEFAULT_NEXT;
  }
  if (resolved.origin !== new URL(origin).origin) return DEFAULT_NEXT;
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // A path that starts with two slashes is read as another host when written into Location.
  if (path.startsWith("//") || path.startsWith("/\\")) return DEFAULT_NEXT;
  return path;
}
