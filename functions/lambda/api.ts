import { handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { createApp } from "../api/app.ts";
import { createApiDeps } from "../api/deps.ts";
import { lambdaConfig, lambdaUses, lazy } from "./deps.ts";

// Signs and verifies tokens; never calls the model.
lambdaUses({ tokens: true, model: false });

// RDS Proxy refuses the `-c role=` start-up parameter and pins every session that runs SET: the API's role is
// the app login's own default (migration 0004), so its connections stay multiplexed.
const serve = lazy(() => handle(createApp(createApiDeps(lambdaConfig(), { apiRole: "login-default" }))));

/** Lambda entry: the same Hono app as the Node server, behind a function URL (payload format 2.0). */
export const handler = (event: LambdaEvent, context?: LambdaContext) => serve()(event, context);
