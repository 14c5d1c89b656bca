CREATE TABLE "revoked_tokens" (
	"jti" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "revoked_tokens" ADD CONSTRAINT "revoked_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "revoked_tokens_expires_idx" ON "revoked_tokens" USING btree ("expires_at");--> statement-breakpoint
-- The processes' own login (DATABASE_APP_URL): neither superuser nor owner, so row-level security binds it. It is
-- a member of leadflow_api and leadflow_worker only to switch into them (SET ROLE, `-c role=`): NOINHERIT, so
-- as itself it holds none of their privileges and none of their policies (the worker's see every row). Roles are
-- cluster-wide and test runs migrate databases side by side: every step tolerates a twin running at once. Its
-- password is no migration's business: trust locally, or set from DATABASE_APP_URL by core/db/migrate.ts.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadflow_app') THEN
    BEGIN CREATE ROLE leadflow_app LOGIN NOINHERIT; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  END IF;
  -- Only when it differs: an ALTER ROLE racing another run's fails with "tuple concurrently updated".
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadflow_app'
             AND (rolsuper OR rolbypassrls OR rolinherit OR rolcreaterole OR rolcreatedb OR NOT rolcanlogin)) THEN
    ALTER ROLE leadflow_app LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
  END IF;
  IF NOT pg_has_role('leadflow_app', 'leadflow_api', 'MEMBER') THEN
    BEGIN GRANT leadflow_api TO leadflow_app; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  END IF;
  IF NOT pg_has_role('leadflow_app', 'leadflow_worker', 'MEMBER') THEN
    BEGIN GRANT leadflow_worker TO leadflow_app; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  END IF;
  -- Its sessions start as leadflow_api, applied by the server (no start-up parameter, which RDS Proxy refuses, and
  -- no SET, which makes the proxy pin the session): a session that takes no role, or RESETs it, is the API's role
  -- with no user set, which row-level security shows nothing. The worker still switches to leadflow_worker.
  IF NOT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
                 WHERE r.rolname = 'leadflow_app' AND s.setdatabase = 0 AND 'role=leadflow_api' = ANY (s.setconfig)) THEN
    BEGIN
      ALTER ROLE leadflow_app SET role = 'leadflow_api';
    EXCEPTION WHEN OTHERS THEN
      -- A twin run wrote the same setting first ("tuple concurrently updated", or a duplicate key): fine if so.
      IF NOT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
                     WHERE r.rolname = 'leadflow_app' AND s.setdatabase = 0 AND 'role=leadflow_api' = ANY (s.setconfig)) THEN
        RAISE;
      END IF;
    END;
  END IF;
END $$;--> statement-breakpoint
-- Accounts. The API must find one by email before anyone is known (sign-up, login), so its role sees every row;
-- the worker needs no user's email or password hash: only the id.
REVOKE ALL ON "users" FROM leadflow_worker;--> statement-breakpoint
GRANT SELECT ("id") ON "users" TO leadflow_worker;--> statement-breakpoint
CREATE POLICY "users_api" ON "users" TO leadflow_api USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "users_worker" ON "users" FOR SELECT TO leadflow_worker USING (true);--> statement-breakpoint
-- Revoked tokens: anyone's jti may be looked up (a jti says nothing), a user revokes only their own, and expired
-- ones may be pruned by anyone's logout. The worker has no business here.
REVOKE ALL ON "revoked_tokens" FROM leadflow_worker;--> statement-breakpoint
CREATE POLICY "revoked_tokens_read" ON "revoked_tokens" FOR SELECT TO leadflow_api USING (true);--> statement-breakpoint
CREATE POLICY "revoked_tokens_revoke" ON "revoked_tokens" FOR INSERT TO leadflow_api
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "revoked_tokens_prune" ON "revoked_tokens" FOR DELETE TO leadflow_api USING (expires_at <= now());--> statement-breakpoint
-- Tables with no user_id keep their one user, now as policies (RLS is on everywhere below).
CREATE POLICY "rate_limit_counters_api" ON "rate_limit_counters" TO leadflow_api USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "llm_flow_calls_worker" ON "llm_flow_calls" TO leadflow_worker USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "llm_flow_state_worker" ON "llm_flow_state" TO leadflow_worker USING (true) WITH CHECK (true);--> statement-breakpoint
-- Row-level security on every table, FORCEd so it binds the tables' owner too: only a superuser (never the app's
-- login) or BYPASSRLS escapes it. A later migration that changes rows as a non-superuser owner (RDS's master user)
-- must lift it for that statement (ALTER TABLE … NO FORCE ROW LEVEL SECURITY, then FORCE again).
DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);
  END LOOP;
END $$;
