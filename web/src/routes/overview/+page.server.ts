import { authed } from "#lib/server/api.ts";
import type { Stats } from "#lib/types.ts";
import type { PageServerLoad } from "./$types";

const PERIODS = ["24h", "7d", "30d"] as const;

export const load: PageServerLoad = async (event) => {
  event.depends("app:stats");
  const asked = event.url.searchParams.get("period") ?? "";
  const period = (PERIODS as readonly string[]).includes(asked) ? asked : "7d";
  const result = await authed<Stats>(event, `/stats?period=${period}`);
  return {
    period,
    stats: result.ok ? result.data : null,
    problem: result.ok ? null : result.error.message,
  };
};
