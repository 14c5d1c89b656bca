CREATE TABLE "lead_corrections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"lead_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"changes" jsonb NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "handling_state" text DEFAULT 'open' NOT NULL;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "first_response_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "handling_updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "corrected_category" text;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "corrected_queue" text;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "corrected_priority" text;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "corrected_sla_minutes" integer;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "corrections" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "lead_corrections" ADD CONSTRAINT "lead_corrections_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lead_corrections" ADD CONSTRAINT "lead_corrections_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "lead_corrections_lead_idx" ON "lead_corrections" USING btree ("lead_id","created_at");--> statement-breakpoint
ALTER TABLE "workflows" ADD CONSTRAINT "workflows_handling_state_check" CHECK (handling_state in ('open', 'answered', 'closed'));--> statement-breakpoint
-- Corrections are a record of who overruled the AI and why: the API inserts and reads its own, the worker reads
-- (outbound events carry them), nobody edits or deletes one; the trigger holds even for the tables' owner.
ALTER TABLE "lead_corrections" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "lead_corrections" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
REVOKE UPDATE, DELETE ON "lead_corrections" FROM leadflow_api, leadflow_worker;--> statement-breakpoint
REVOKE INSERT ON "lead_corrections" FROM leadflow_worker;--> statement-breakpoint
CREATE POLICY "lead_corrections_owner" ON "lead_corrections" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "lead_corrections_worker" ON "lead_corrections" FOR SELECT TO leadflow_worker USING (true);--> statement-breakpoint
CREATE FUNCTION lead_corrections_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'lead_corrections rows are never edited; record a new correction instead';
END $$;--> statement-breakpoint
CREATE TRIGGER lead_corrections_immutable BEFORE UPDATE ON "lead_corrections"
  FOR EACH ROW EXECUTE FUNCTION lead_corrections_immutable();--> statement-breakpoint
-- Live updates (GET /events/stream): a lead's arrival and every change of what the stream reports (its workflow's
-- status, its handling state) or of its routing by a person (a correction) is announced on the channel
-- `lead_changes`, in the same transaction, so a listener never learns of a change that rolled back. The payload is
-- ids and states only: no lead text ever travels through NOTIFY. Only those changes: a transaction that has
-- notified holds a lock over the whole cluster through its commit, so commits that notify run one at a time.
-- Announcing every workflows update (each step's claim and settle, each flow-control wait and its clearing) put
-- that lock on nearly every write of the worker; now a lead's workflow notifies twice (processing, then
-- completed or failed).
CREATE FUNCTION workflows_notify_lead_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('lead_changes', json_build_object(
    'user_id', NEW.user_id, 'id', NEW.lead_id, 'status', NEW.status, 'handling_state', NEW.handling_state)::text);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER workflows_notify_lead_arrival AFTER INSERT ON "workflows"
  FOR EACH ROW EXECUTE FUNCTION workflows_notify_lead_change();--> statement-breakpoint
CREATE TRIGGER workflows_notify_lead_change AFTER UPDATE OF status, handling_state, corrections ON "workflows"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.handling_state IS DISTINCT FROM NEW.handling_state
                     OR OLD.corrections IS DISTINCT FROM NEW.corrections)
  EXECUTE FUNCTION workflows_notify_lead_change();
