/**
 * `npm run eval:corrections -- --email USER --out FILE`: the leads people corrected for one user, as dataset lines
 * (the person's final category, queue and priority are the labels), so the queues grow the evaluation set.
 * Exit 0: written; 2: bad flags or the database could not be read.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "../core/config.ts";
import { correctedLeadsToDataset, postgresCorrectionSource } from "../eval/corrections.ts";
import { runCli } from "./support/cli.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { email: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  if (!values.email || !values.out) {
    console.error("usage: npm run eval:corrections -- --email USER --out FILE");
    return 2;
  }
  const config = loadConfig(process.env, { tokens: false, model: false });
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 1 });
  try {
    const leads = await postgresCorrectionSource(pool).correctedLeads(values.email);
    const { cases, skipped } = correctedLeadsToDataset(leads);
    await mkdir(dirname(values.out), { recursive: true });
    await writeFile(values.out, cases.map((c) => `${JSON.stringify(c)}\n`).join(""));
    console.log(`${cases.length} corrected leads written to ${values.out}`);
    if (skipped.length)
      console.log(`${skipped.length} skipped (labels not valid today): ${skipped.join(", ")}`);
    return 0;
  } finally {
    await pool.end();
  }
}

// A query error's message can carry the SQL text and its values: say what failed, not the whole error.
runCli(main, (err) => {
  const code = (err as { code?: string }).code;
  if (code === "42P01") {
    return "The corrections table does not exist yet: this database predates corrections (Working the queues).";
  }
  const sqlState = code && /^[0-9A-Z]{5}$/.test(code);
  return sqlState ? `The corrected leads could not be read (SQLSTATE ${code}).` : (err as Error).message;
});
