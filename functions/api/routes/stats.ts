import { $, createRoute } from "@hono/zod-openapi";
import { asUser } from "@leadflow/core/db/scoped";
import { leadStats } from "@leadflow/core/leads/stats";
import { leadStats as leadStatsAnswer, statsPeriod } from "@leadflow/core/leads/views";
import { z } from "zod";
import { requireUser } from "../middleware/auth.ts";
import { errorAnswers, jsonAnswer, SIGNED_IN, SIGNED_IN_ERRORS } from "../responses.ts";
import { router } from "../router.ts";

const statsQuery = z.strictObject({ period: statsPeriod.default("7d") });

const stats = createRoute({
  method: "get",
  path: "/",
  operationId: "getStats",
  summary: "The caller's leads, failures, step latency, tokens and cost over a period (the overview)",
  tags: ["leads"],
  ...SIGNED_IN,
  request: { query: statsQuery },
  responses: {
    200: jsonAnswer("The aggregates.", leadStatsAnswer),
    ...errorAnswers("validation_failed", ...SIGNED_IN_ERRORS),
  },
});

/** Aggregates for the overview page: the caller's own leads, failures and step latency over a period. */
export const statsRoutes = $(router().use(requireUser)).openapi(stats, async (c) => {
  const { period } = c.req.valid("query");
  const { userId } = c.var;
  return c.json(await asUser(c.var.deps.database.db, userId, (tx) => leadStats(tx, userId, period)), 200);
});
