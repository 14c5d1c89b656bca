/**
 * Set once per stage before the first deploy (docs/deploy.md):
 *   npx sst secret set JwtSecret "$(openssl rand -base64 48)" --stage <name>
 *   npx sst secret set OpenaiApiKey sk-... --stage <name>
 *   npx sst secret set ForwardingSecret "$(openssl rand -base64 48)" --stage <name>
 *   npx sst secret set DatabaseAppPassword "$(openssl rand -hex 32)" --stage <name>
 *   npx sst secret set MetricsToken "$(openssl rand -hex 32)" --stage <name>
 * A deploy with any unset stops and says which.
 */
export const jwtSecret = new sst.Secret("JwtSecret");
export const openaiApiKey = new sst.Secret("OpenaiApiKey");
/** Shared by the web server and the API: the API believes the browser address the web server forwards. */
export const forwardingSecret = new sst.Secret("ForwardingSecret");
/** The app role's password (leadflow_app): RDS Proxy logs in with it, the migrator sets it on the role. */
export const databaseAppPassword = new sst.Secret("DatabaseAppPassword");
/** The bearer token /metrics asks for (METRICS_TOKEN): on in every SST stage. */
export const metricsToken = new sst.Secret("MetricsToken");
