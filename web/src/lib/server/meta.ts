import type { Meta } from "../types.ts";
import { apiRequest } from "./api.ts";

let cached: { until: number; meta: Meta | null } | null = null;

/** GET /meta, cached for a minute (a few seconds after a failure): it only changes when the API restarts. */
export async function getMeta(): Promise<Meta | null> {
  const now = Date.now();
  if (cached && cached.until > now) return cached.meta;
  const result = await apiRequest<Meta>("/meta");
  const meta = result.ok ? result.data : null;
  cached = { until: now + (meta ? 60_000 : 5_000), meta };
  return meta;
}
