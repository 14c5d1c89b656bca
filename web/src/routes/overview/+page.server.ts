import { authed } from "#lib/server/api.ts";
import { STATS_PERIODS, type Stats } from "#lib/types.ts";
import type { PageServerLoad } from "./$types";

export const load: PageServerLoad = async (event) => {
  event.depends("app:stats");
  const asked = event.url.searchParams.get("period") ?? "";
  const period = (STATS_PERIODS as readonly string[]).includes(asked) ? asked : "7d";
  const result = await authed<Stats>(event, `/stats?period=${period}`);
  return {
    period,
    stats: result.ok ? result.data : null,
    problem: result.ok ? null : result.error.message,
  };
};
