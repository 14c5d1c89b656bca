import { asUser } from "@leadflow/core/db/scoped";
import { leadStats, STATS_PERIOD_NAMES } from "@leadflow/core/leads/stats";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context.ts";
import { requireUser } from "../middleware/auth.ts";
import { validate } from "../validation.ts";

export const statsQuery = z.strictObject({ period: z.enum(STATS_PERIOD_NAMES).default("7d") });

/** Aggregates for the overview page: the caller's own leads, failures and step latency over a period. */
export const statsRoutes = new Hono<AppEnv>()
  .use(requireUser)
  .get("/", validate("query", statsQuery), async (c) => {
    const { period } = c.req.valid("query");
    const { userId } = c.var;
    return c.json(await asUser(c.var.deps.database.db, userId, (tx) => leadStats(tx, userId, period)));
  });
