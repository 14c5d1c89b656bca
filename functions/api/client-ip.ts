import { createHash, timingSafeEqual } from "node:crypto";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { AppEnv } from "./context.ts";

/** The header the web server proves itself with (FORWARDING_SECRET), so its X-Forwarded-For is believed. */
export const FORWARDING_SECRET_HEADER = "x-leadflow-forwarding-secret";

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Compared in constant time (over digests, so the lengths match too). */
function sentBy(secret: string | undefined, sent: string | undefined): boolean {
  return secret !== undefined && sent !== undefined && timingSafeEqual(digest(secret), digest(sent));
}

/**
 * The caller's address as AWS saw it, when the app is served by `hono/aws-lambda`'s handle: it passes the event's
 * requestContext as `c.env.requestContext`, where a function URL or HTTP API (payload 2.0) puts the peer's
 * address in `http.sourceIp`, and a REST API (1.0) in `identity.sourceIp`.
 */
function lambdaSourceIp(env: unknown): string | undefined {
  const requestContext = (env as { requestContext?: unknown } | undefined)?.requestContext as
    | { http?: { sourceIp?: unknown }; identity?: { sourceIp?: unknown } }
    | undefined;
  const ip = requestContext?.http?.sourceIp ?? requestContext?.identity?.sourceIp;
  return typeof ip === "string" && ip ? ip : undefined;
}

/**
 * The address TRUST_PROXY proxies put in X-Forwarded-For: each appends the peer it saw, so the client is `hops`
 * entries from the right, and anything further left is whatever the client chose to send. A shorter list than
 * the proxies would make holds only their entries: its leftmost is still one of ours.
 */
export function forwardedClient(header: string | undefined, hops: number): string | undefined {
  if (!header || hops < 1) return undefined;
  const entries = header
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries[Math.max(0, entries.length - hops)];
}

/**
 * The caller's address. X-Forwarded-For is only believed as far as the proxies we run wrote it (TRUST_PROXY, a
 * hop count), or from our own web server proving itself with FORWARDING_SECRET (it sets the header afresh, so its
 * first entry is its browser); otherwise the peer: on Lambda the source address of the event, on Node the
 * socket's. In-process calls (app.request in tests) have neither.
 */
export function clientIp(c: Context<AppEnv>): string {
  const { TRUST_PROXY, FORWARDING_SECRET } = c.var.deps.config;
  const header = c.req.header("x-forwarded-for");
  const forwarded = sentBy(FORWARDING_SECRET, c.req.header(FORWARDING_SECRET_HEADER))
    ? forwardedClient(header, Number.MAX_SAFE_INTEGER)
    : forwardedClient(header, TRUST_PROXY);
  if (forwarded) return forwarded;
  const lambda = lambdaSourceIp(c.env);
  if (lambda) return lambda;
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
