import { type Config, loadConfig } from "@leadflow/core/config";
import { connectDatabase } from "@leadflow/core/db/client";
import { createLogger } from "@leadflow/core/logger";

/**
 * Built on the first invocation and kept for the warm ones: a Lambda instance reuses its configuration, its
 * database pool and its clients across events. A failure to build is not kept, so the next event tries again.
 * Each consumer module builds its own deps from these, so a bundle carries only the clients it uses.
 */
export function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

export const lambdaConfig = lazy((): Config => loadConfig());

export const lambdaLogger = lazy(() =>
  createLogger({
    level: lambdaConfig().LOG_LEVEL,
    name: `leadflow-${process.env.AWS_LAMBDA_FUNCTION_NAME ?? "lambda"}`,
  }),
);

/**
 * Through RDS Proxy, which refuses the `-c role=` start-up option the container worker uses to work as
 * leadflow_worker: the functions connect as the configured user (docs/deploy.md, "Known gaps").
 */
export const lambdaDatabase = lazy(() => {
  const config = lambdaConfig();
  return connectDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
});
