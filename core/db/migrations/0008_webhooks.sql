CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"endpoint_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"lead_id" uuid,
	"event" text NOT NULL,
	"payload" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"enqueued_at" timestamp (3) with time zone,
	"lease_until" timestamp (3) with time zone,
	"delivered_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_status_check" CHECK (status in ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"url" text NOT NULL,
	"events" text[] NOT NULL,
	"secret" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_endpoints_status_check" CHECK (status in ('active', 'disabled'))
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_idx" ON "webhook_deliveries" USING btree ("endpoint_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_endpoints_user_idx" ON "webhook_endpoints" USING btree ("user_id","created_at");--> statement-breakpoint
-- Ownership: the API works on its caller's endpoints and deliveries; the worker delivers everyone's (reads the
-- endpoints, disables one that answered 410, updates deliveries), and its triggers write the outbox.
ALTER TABLE "webhook_endpoints" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "webhook_endpoints_owner" ON "webhook_endpoints" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "webhook_endpoints_worker" ON "webhook_endpoints" TO leadflow_worker USING (true) WITH CHECK (true);--> statement-breakpoint
REVOKE INSERT, DELETE ON "webhook_endpoints" FROM leadflow_worker;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "webhook_deliveries_owner" ON "webhook_deliveries" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "webhook_deliveries_worker" ON "webhook_deliveries" TO leadflow_worker USING (true) WITH CHECK (true);--> statement-breakpoint
-- The outbox is written by the statement that changes the lead, whoever runs it (the worker completing or
-- failing a workflow, the API recording a handling move or a correction), so no event can be lost between the
-- change and its delivery, nor sent for a change that rolled back. One row per event per subscribed endpoint.
CREATE FUNCTION workflows_webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kinds text[] := '{}';
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status = 'completed' THEN kinds := kinds || 'lead.routed'::text; END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status = 'failed' THEN kinds := kinds || 'lead.failed'::text; END IF;
  IF NEW.corrections > OLD.corrections THEN kinds := kinds || 'lead.corrected'::text; END IF;
  IF NEW.handling_state IS DISTINCT FROM OLD.handling_state THEN kinds := kinds || 'lead.handled'::text; END IF;
  IF cardinality(kinds) > 0 THEN
    INSERT INTO webhook_deliveries (endpoint_id, user_id, lead_id, event)
      SELECT e.id, NEW.user_id, NEW.lead_id, k
        FROM webhook_endpoints e CROSS JOIN unnest(kinds) AS k
       WHERE e.user_id = NEW.user_id AND e.status = 'active' AND k = ANY (e.events);
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER workflows_webhook_outbox AFTER UPDATE OF status, corrections, handling_state ON "workflows"
  FOR EACH ROW EXECUTE FUNCTION workflows_webhook_outbox();--> statement-breakpoint
-- Wakes the workers' dispatchers when a delivery becomes due now (a new one, a resend); the payload is empty, so
-- PostgreSQL folds a transaction's many into one. Retries are enqueued delayed by the worker that failed them.
CREATE FUNCTION webhook_deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('webhook_deliveries', '');
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER webhook_deliveries_notify_insert AFTER INSERT ON "webhook_deliveries"
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_notify();--> statement-breakpoint
CREATE TRIGGER webhook_deliveries_notify_resend AFTER UPDATE OF status ON "webhook_deliveries"
  FOR EACH ROW WHEN (NEW.status = 'pending' AND OLD.status <> 'pending') EXECUTE FUNCTION webhook_deliveries_notify();
