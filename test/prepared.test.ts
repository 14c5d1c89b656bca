import { randomUUID } from "node:crypto";
import { connectDatabase } from "@leadflow/core/db/client";
import { executePrepared } from "@leadflow/core/db/prepared";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";

// One connection, so every run below meets the statement that connection prepared. Each case has a table of its
// own, so neither depends on what the other did to its table or its statements.
const database = connectDatabase(process.env.DATABASE_URL!, 1);
const tables: ReturnType<typeof sql.identifier>[] = [];
async function probeTable(type: "int" | "text") {
  const table = sql.identifier(`prepared_probe_${randomUUID().slice(0, 8)}`);
  tables.push(table);
  await database.db.execute(sql`create table ${table} (x ${sql.raw(type)} not null)`);
  await database.db.execute(sql`insert into ${table} values (1)`);
  return table;
}
const preparedCount = async () =>
  (
    await database.pool.query<{ n: number }>(
      "select count(*)::int as n from pg_prepared_statements where name like 'lf\\_%'",
    )
  ).rows[0]!.n;
afterAll(async () => {
  for (const table of tables) await database.db.execute(sql`drop table if exists ${table}`);
  await database.close();
});

describe("executePrepared", () => {
  it("prepares once per connection, and recovers when a migration changes what the statement returns", async () => {
    const table = await probeTable("int");
    const before = await preparedCount();
    const read = () => executePrepared<{ x: unknown }>(database.db, sql`select x from ${table}`);
    expect(await read()).toEqual([{ x: 1 }]);
    expect(await read()).toEqual([{ x: 1 }]);
    expect(await preparedCount()).toBe(before + 1);

    await database.db.execute(sql`alter table ${table} alter column x type text`);
    // The connection's plan for the old text can no longer run ("cached plan must not change result type").
    expect(await read()).toEqual([{ x: "1" }]);
    expect(await read()).toEqual([{ x: "1" }]);
  });

  it("inside a transaction, fails that transaction once and runs under a new name the next time", async () => {
    const table = await probeTable("text");
    const read = (db: Parameters<typeof executePrepared>[0]) =>
      executePrepared<{ x: unknown }>(db, sql`select x, 1 as one from ${table}`);
    expect(await read(database.db)).toEqual([{ x: "1", one: 1 }]);
    await database.db.execute(sql`alter table ${table} alter column x type varchar(10)`);
    await expect(database.db.transaction((tx) => read(tx))).rejects.toThrow();
    expect(await database.db.transaction((tx) => read(tx))).toEqual([{ x: "1", one: 1 }]);
  });
});
