-- Ownership enforced by PostgreSQL itself: the API works as leadflow_api with app.user_id set per transaction,
-- so a query that forgets its user filter still sees only the caller's rows; the worker works as leadflow_worker.
-- Roles are cluster-wide and NOLOGIN: the connecting user switches into them (SET ROLE).
DO $$
BEGIN
  BEGIN CREATE ROLE leadflow_api NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  BEGIN CREATE ROLE leadflow_worker NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
END $$;--> statement-breakpoint
DO $$
BEGIN
  -- A superuser may always switch roles; anyone else needs membership.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT leadflow_api, leadflow_worker TO %I', current_user);
  END IF;
END $$;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO leadflow_api, leadflow_worker;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO leadflow_api, leadflow_worker;--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO leadflow_api, leadflow_worker;--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO leadflow_api, leadflow_worker;--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO leadflow_api, leadflow_worker;--> statement-breakpoint
ALTER TABLE "leads" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "leads_owner" ON "leads" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "leads_worker" ON "leads" TO leadflow_worker USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE "workflows" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "workflows_owner" ON "workflows" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "workflows_worker" ON "workflows" TO leadflow_worker USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE "workflow_steps" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "workflow_steps_owner" ON "workflow_steps" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "workflow_steps_worker" ON "workflow_steps" TO leadflow_worker USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE "step_attempts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "step_attempts_owner" ON "step_attempts" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "step_attempts_worker" ON "step_attempts" TO leadflow_worker USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE "workflow_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "workflow_events_owner" ON "workflow_events" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "workflow_events_worker" ON "workflow_events" TO leadflow_worker USING (true) WITH CHECK (true);
