/**
 * Set once per stage before the first deploy (docs/deploy.md):
 *   npx sst secret set JwtSecret "$(openssl rand -base64 48)" --stage <name>
 *   npx sst secret set OpenaiApiKey sk-... --stage <name>
 *   npx sst secret set ForwardingSecret "$(openssl rand -base64 48)" --stage <name>
 * A deploy with either unset stops and says which.
 */
export const jwtSecret = new sst.Secret("JwtSecret");
export const openaiApiKey = new sst.Secret("OpenaiApiKey");
/** Shared by the web server and the API: the API believes the browser address the web server forwards. */
export const forwardingSecret = new sst.Secret("ForwardingSecret");
