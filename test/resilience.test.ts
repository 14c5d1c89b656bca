import { loadConfig } from "@leadflow/core/config";
import { createLogger } from "@leadflow/core/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../functions/simulator/server.ts";
import { startWorker } from "../functions/worker/worker.ts";
import { spawnWorker, startPrivateRedis } from "../scripts/support/processes.ts";
import { sampleLead, startTestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";
import { waitFor } from "./support/wait.ts";

let simulator: Simulator;
beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
});
afterAll(() => simulator.close());

const workerEnv = () => ({
  LLM_PROVIDER: "simulator",
  OPENAI_BASE_URL: simulator.url,
  LLM_TIMEOUT_MS: "1000",
  STALE_STEP_MS: "1500",
  RECONCILE_INTERVAL_MS: "300",
  STEP_BACKOFF_BASE_MS: "20",
  WORKER_CONCURRENCY: "4",
});

describe("Redis down between commit and enqueue", () => {
  it("accepts the lead, says Redis is down, and completes the workflow once Redis is back empty", async () => {
    const redis = await startPrivateRedis();
    const env = {
      ...workerEnv(),
      REDIS_URL: redis.url,
      REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-redisdown`,
    };
    const api = await startTestApi(env);
    const worker = startWorker(
      loadConfig({ ...process.env, ...env }),
      createLogger({ level: "silent", name: "t" }),
    );
    try {
      const { token } = await api.signup();
      await redis.kill();

      const started = Date.now();
      const submitted = await api.call("POST", "/leads", { token, body: sampleLead() });
      expect(submitted.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(5_000);
      const ready = await api.call("GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.json).toEqual({ status: "unavailable", checks: { database: "ok", redis: "down" } });
      const pending = await api.call("GET", `/leads/${submitted.json.id}`, { token });
      expect(pending.json.workflow.status).toBe("pending");

      await redis.start();
      const done = await waitFor(
        async () => {
          const res = await api.call("GET", `/leads/${submitted.json.id}`, { token });
          return ["completed", "failed"].includes(res.json.workflow.status) ? res.json : undefined;
        },
        20_000,
        "the workflow to finish after Redis came back",
      );
      expect(done.workflow.status).toBe("completed");
      expect(done.workflow.steps.map((s: any) => s.attempts)).toEqual([1, 1, 1]);
    } finally {
      await worker.close();
      await api.close();
      await redis.kill();
    }
  });
});

describe("PostgreSQL down", () => {
  it("answers 503 service_unavailable and /readyz names the database", async () => {
    const healthy = await startTestApi();
    const { token } = await healthy.signup();
    await healthy.close();
    const api = await startTestApi({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/leadflow" });
    try {
      const res = await api.call("POST", "/leads", { token, body: sampleLead() });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe("service_unavailable");
      const ready = await api.call("GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.json.checks).toEqual({ database: "down", redis: "ok" });
    } finally {
      await api.close();
    }
  });
});

describe("a worker killed mid-step", () => {
  it("loses nothing: after a restart every workflow completes and no step completes twice", {
    timeout: 150_000,
  }, async () => {
    const env = { ...workerEnv(), REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-kill` };
    const api = await startTestApi(env);
    const { token } = await api.signup();
    let worker = spawnWorker(env);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 16; i++) {
        const res = await api.call("POST", "/leads", {
          token,
          body: sampleLead({ name: `kill ${i}`, message: `Quote for a patio, lead ${i} [[sim delay=150]]` }),
        });
        ids.push(res.json.id);
      }
      const pool = api.deps.database.pool;
      // Kill it while it holds claims: some steps done, some in flight.
      await waitFor(
        async () => {
          const { rows } = await pool.query(
            "select count(*) filter (where s.status = 'completed')::int as done, count(*) filter (where s.status = 'processing')::int as busy from workflow_steps s join leads l on l.id = (select lead_id from workflows where id = s.workflow_id) where l.id = any($1)",
            [ids],
          );
          return rows[0].done >= 6 && rows[0].busy > 0 ? true : undefined;
        },
        20_000,
        "steps in flight",
      );
      await worker.kill("SIGKILL");
      worker = spawnWorker(env);

      const final = await waitFor(
        async () => {
          const { rows } = await pool.query(
            "select w.status from workflows w where w.lead_id = any($1) and w.status in ('completed', 'failed')",
            [ids],
          );
          return rows.length === ids.length ? rows : undefined;
        },
        150_000,
        "every workflow to finish after the restart",
      ).catch(async (err) => {
        const { rows } = await pool.query(
          "select s.name, s.status, s.transient_failures, s.lease_until < now() as expired, s.retry_at, s.attempts from workflow_steps s join workflows w on w.id = s.workflow_id where w.lead_id = any($1) and w.status not in ('completed', 'failed') and s.status not in ('completed', 'skipped')",
          [ids],
        );
        throw new Error(`${err.message}; unfinished steps: ${JSON.stringify(rows)}`);
      });
      expect(final.every((r: { status: string }) => r.status === "completed")).toBe(true);

      const steps = await pool.query(
        `select s.id, s.attempts,
                (select count(*)::int from step_attempts a where a.step_id = s.id) as attempt_rows,
                (select count(*)::int from step_attempts a where a.step_id = s.id and a.outcome = 'succeeded') as successes,
                (select count(*)::int from workflow_events e where e.workflow_id = s.workflow_id and e.step = s.name and e.type = 'step_completed') as completions
           from workflow_steps s join workflows w on w.id = s.workflow_id where w.lead_id = any($1)`,
        [ids],
      );
      expect(steps.rows).toHaveLength(ids.length * 3);
      for (const s of steps.rows) {
        expect(s.successes).toBe(1);
        expect(s.completions).toBe(1);
        expect(s.attempts).toBe(s.attempt_rows);
      }
    } finally {
      await worker.kill("SIGTERM");
      await api.close();
    }
  });
});

describe("graceful shutdown", () => {
  it("finishes the step in hand on SIGTERM before the worker exits", { timeout: 60_000 }, async () => {
    const env = { ...workerEnv(), REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-sigterm` };
    const api = await startTestApi(env);
    const { token } = await api.signup();
    const worker = spawnWorker(env);
    try {
      const res = await api.call("POST", "/leads", {
        token,
        body: sampleLead({ message: "Quote for a shed [[sim delay=800]]" }),
      });
      const pool = api.deps.database.pool;
      await waitFor(
        async () => {
          const { rows } = await pool.query(
            "select s.status from workflow_steps s join workflows w on w.id = s.workflow_id where w.lead_id = $1 and s.name = 'classify'",
            [res.json.id],
          );
          return rows[0]?.status === "processing" ? true : undefined;
        },
        30_000,
        "classify to be in flight",
      );
      expect(await worker.kill("SIGTERM")).toBe(0);
      const { rows } = await pool.query(
        "select s.status, s.attempts from workflow_steps s join workflows w on w.id = s.workflow_id where w.lead_id = $1 and s.name = 'classify'",
        [res.json.id],
      );
      expect(rows[0]).toEqual({ status: "completed", attempts: 1 });
    } finally {
      await worker.kill("SIGKILL");
      await api.close();
    }
  });
});
