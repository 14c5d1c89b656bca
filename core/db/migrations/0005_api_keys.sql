CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"digest" "bytea" NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_digest_key" ON "api_keys" USING btree ("digest");--> statement-breakpoint
CREATE INDEX "api_keys_user_created_idx" ON "api_keys" USING btree ("user_id","created_at");--> statement-breakpoint
-- A key is owned by its user. Before anyone is known (authenticating a request), a transaction may see the one
-- row whose digest it presents in app.api_key_digest, and no other: a lookup cannot list anyone's keys.
-- The worker has no business here.
GRANT SELECT, INSERT, UPDATE, DELETE ON "api_keys" TO leadflow_api;--> statement-breakpoint
REVOKE ALL ON "api_keys" FROM leadflow_worker;--> statement-breakpoint
CREATE POLICY "api_keys_owner" ON "api_keys" TO leadflow_api
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "api_keys_presented" ON "api_keys" FOR SELECT TO leadflow_api
  USING (digest = decode(nullif(current_setting('app.api_key_digest', true), ''), 'hex'));--> statement-breakpoint
ALTER TABLE "api_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "api_keys" FORCE ROW LEVEL SECURITY;
