import { postgresRateLimitStore } from "@leadflow/core/rate-limits/postgres";
import { handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { createApp } from "../api/app.ts";
import { assembleApiDeps, connectApiDatabase } from "../api/assemble-deps.ts";
import { lambdaConfig, lambdaStepQueue, lambdaUses, lazy } from "./deps.ts";

// Signs and verifies tokens; never calls the model.
lambdaUses({ tokens: true, model: false });

/**
 * On Lambda the API enqueues on SQS and counts its rate limits in PostgreSQL: there is no Redis, and so no BullMQ
 * or ioredis in this bundle. RDS Proxy refuses the `-c role=` start-up parameter and pins every session that runs
 * SET: the API's role is the app login's own default (migration 0004), so its connections stay multiplexed.
 */
const serve = lazy(() => {
  const config = lambdaConfig();
  const database = connectApiDatabase(config, { apiRole: "login-default" });
  const deps = assembleApiDeps(config, database, {
    queue: lambdaStepQueue(),
    rateLimits: postgresRateLimitStore(database.db),
    async close() {},
  });
  return handle(createApp(deps));
});

/** Lambda entry: the same Hono app as the Node server, behind a function URL (payload format 2.0). */
export const handler = (event: LambdaEvent, context?: LambdaContext) => serve()(event, context);
