-- The API's rate-limit counters where there is no Redis (RATE_LIMIT_STORE=postgres, as on Lambda). Keys are SHA-256
-- digests and there is no user_id: no row-level security policy; the API's role may use it, the worker's may not.
CREATE TABLE "rate_limit_counters" (
	"key" "bytea" PRIMARY KEY NOT NULL,
	"count" integer NOT NULL,
	"window_ends_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "rate_limit_counters_window_ends_idx" ON "rate_limit_counters" USING btree ("window_ends_at");--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "rate_limit_counters" TO leadflow_api;--> statement-breakpoint
REVOKE ALL ON "rate_limit_counters" FROM leadflow_worker;
