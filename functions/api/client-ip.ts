import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";

/**
 * The caller's address. X-Forwarded-For is only believed behind a proxy we run (TRUST_PROXY), since anyone can
 * send it; otherwise the socket's peer. Outside Node (Lambda, in-process tests) there may be neither.
 */
export function clientIp(c: Context<AppEnv>): string {
  if (c.var.deps.config.TRUST_PROXY) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
