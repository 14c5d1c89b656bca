import pg from "pg";

export const BENCH_DATABASE = "leadflow_bench";

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Empties the intake tables (users stay: the bench user is reused), so every phase starts from empty tables
 * and indexes. No CHECKPOINT: it is cluster-wide, slow when other databases are busy, and disturbs them.
 */
export async function resetIntakeTables(url: string): Promise<void> {
  await withClient(url, (client) =>
    client.query("truncate leads, workflows, workflow_steps, workflow_events, step_attempts"),
  );
}

export interface IntakeCounts {
  leads: number;
  workflows: number;
  steps: number;
  events: number;
}

export async function countIntakeRows(url: string): Promise<IntakeCounts> {
  return withClient(url, async (client) => {
    const { rows } = await client.query(
      `select (select count(*) from leads)::int as leads,
              (select count(*) from workflows)::int as workflows,
              (select count(*) from workflow_steps)::int as steps,
              (select count(*) from workflow_events)::int as events`,
    );
    return rows[0] as IntakeCounts;
  });
}

/** What a reader needs to judge the figures: the server version and whether commits wait for the disk. */
export async function describeServer(url: string): Promise<{ version: string; synchronousCommit: string }> {
  return withClient(url, async (client) => {
    const { rows } = await client.query(
      "select current_setting('server_version') as version, current_setting('synchronous_commit') as sc",
    );
    return { version: rows[0].version, synchronousCommit: rows[0].sc };
  });
}
