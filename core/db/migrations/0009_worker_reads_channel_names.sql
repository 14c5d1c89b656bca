-- A lead's `source` names its channel connection (core/leads/source.ts), and the worker shows leads too: the body
-- of every outbound webhook is the lead as GET /leads/:id shows it. The worker may read a channel's id, type and
-- name, and nothing else of it: the digests and the sealed secret stay the API's alone.
GRANT SELECT ("id", "type", "name") ON "channels" TO leadflow_worker;--> statement-breakpoint
CREATE POLICY "channels_worker" ON "channels" FOR SELECT TO leadflow_worker USING (true);
