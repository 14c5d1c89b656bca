/** An API key as the API lists it: never the key itself. Free of the database, so the web app can `import type` it. */
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}

/** The answer to creating a key: the only time `key` is shown. */
export interface CreatedApiKey extends ApiKeyView {
  key: string;
}
