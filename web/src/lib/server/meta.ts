import type { Meta } from "../types.ts";
import { apiRequest } from "./api.ts";

let cached: { until: number; meta: Meta } | null = null;

/**
 * GET /meta, cached for a minute: it only changes when the API restarts. A failure is never cached, so the
 * simulator banner shows on the first page after the API comes up, not seconds later.
 */
export async function getMeta(): Promise<Meta | null> {
  const now = Date.now();
  if (cached && cached.until > now) return cached.meta;
  const result = await apiRequest<Meta>("/meta");
  if (!result.ok) return null;
  cached = { until: now + 60_000, meta: result.data };
  return result.data;
}
