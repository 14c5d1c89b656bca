import { type SQL, sql } from "drizzle-orm";

/**
 * A value for a jsonb column in a raw statement. Serialised here because pg would send a JS array as a
 * PostgreSQL array literal, and SQL NULL stays NULL rather than becoming the JSON `null`.
 */
export const jsonb = (value: unknown): SQL =>
  value === null || value === undefined ? sql`null::jsonb` : sql`${JSON.stringify(value)}::jsonb`;

export const millisecondsInterval = (ms: number): SQL => sql`(${ms}::int * interval '1 millisecond')`;
