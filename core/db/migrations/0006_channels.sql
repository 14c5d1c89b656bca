CREATE TABLE "channel_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"channel_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"headers" jsonb NOT NULL,
	"body" "bytea" NOT NULL,
	"outcome" text,
	"lead_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"error" text,
	CONSTRAINT "channel_deliveries_outcome_check" CHECK (outcome in ('accepted', 'duplicate', 'ignored', 'rejected', 'invalid'))
);
--> statement-breakpoint
CREATE TABLE "channels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"settings" jsonb NOT NULL,
	"verify_token_digest" "bytea",
	"password_digest" "bytea",
	"sealed_secret" text,
	"public_key" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	CONSTRAINT "channels_type_check" CHECK (type in ('whatsapp', 'email', 'webchat'))
);
--> statement-breakpoint
CREATE TABLE "inbound_tokens" (
	"channel_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"token" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "inbound_tokens_channel_id_token_pk" PRIMARY KEY("channel_id","token")
);
--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "channel_id" uuid;--> statement-breakpoint
ALTER TABLE "channel_deliveries" ADD CONSTRAINT "channel_deliveries_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_deliveries" ADD CONSTRAINT "channel_deliveries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_tokens" ADD CONSTRAINT "inbound_tokens_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_tokens" ADD CONSTRAINT "inbound_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "channel_deliveries_channel_received_idx" ON "channel_deliveries" USING btree ("channel_id","received_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "channels_public_key_key" ON "channels" USING btree ("public_key");--> statement-breakpoint
CREATE INDEX "channels_user_created_idx" ON "channels" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "inbound_tokens_expires_idx" ON "inbound_tokens" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "leads" ADD CONSTRAINT "leads_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Channels belong to their user. An inbound delivery arrives before anyone is known: its transaction may see the
-- one live channel it names in app.channel_id (WhatsApp, email) or app.channel_public_key (web chat), and no other.
-- Deliveries and Mailgun's seen tokens are the owner's only; the worker has no business with any of them.
GRANT SELECT, INSERT, UPDATE, DELETE ON "channels", "channel_deliveries", "inbound_tokens" TO leadflow_api;--> statement-breakpoint
REVOKE ALL ON "channels", "channel_deliveries", "inbound_tokens" FROM leadflow_worker;--> statement-breakpoint
CREATE POLICY "channels_owner" ON "channels" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "channels_addressed" ON "channels" FOR SELECT TO leadflow_api
  USING (deleted_at IS NULL AND (
    id = nullif(current_setting('app.channel_id', true), '')::uuid
    OR public_key = nullif(current_setting('app.channel_public_key', true), '')));--> statement-breakpoint
CREATE POLICY "channel_deliveries_owner" ON "channel_deliveries" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "inbound_tokens_owner" ON "inbound_tokens" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
ALTER TABLE "channels" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "channels" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "channel_deliveries" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "channel_deliveries" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "inbound_tokens" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "inbound_tokens" FORCE ROW LEVEL SECURITY;
