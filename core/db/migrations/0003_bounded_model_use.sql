-- Bounded model use: takeovers and deferrals counted per step, why a workflow waits, the cost of each call,
-- and the tables of provider flow control where there is no Redis.
CREATE TABLE "llm_flow_calls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"tokens" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "llm_flow_state" (
	"provider" text PRIMARY KEY NOT NULL,
	"paused_until" timestamp (3) with time zone,
	"deferred" integer DEFAULT 0 NOT NULL,
	"deferred_window_ends_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "step_attempts" ADD COLUMN "cost_usd" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_steps" ADD COLUMN "takeovers" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_steps" ADD COLUMN "waits" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "waiting_reason" text;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "waiting_until" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "llm_flow_calls_provider_at_idx" ON "llm_flow_calls" USING btree ("provider","at");--> statement-breakpoint
CREATE INDEX "step_attempts_user_created_idx" ON "step_attempts" USING btree ("user_id","created_at");--> statement-breakpoint
ALTER TABLE "workflows" ADD CONSTRAINT "workflows_waiting_reason_check" CHECK (waiting_reason in ('provider_rate_limit', 'user_budget'));--> statement-breakpoint
-- Flow control is the worker's business: the API's role may not touch it (default privileges granted it).
REVOKE ALL ON "llm_flow_calls", "llm_flow_state" FROM leadflow_api;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "llm_flow_calls", "llm_flow_state" TO leadflow_worker;--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE "llm_flow_calls_id_seq" TO leadflow_worker;
