import { z } from "zod";

/*
 * API keys as the API answers them, as zod schemas: the OpenAPI document is generated from them and the types are
 * inferred. Free of the database, so the web app can `import type` them.
 */

/** A key as listed: never the key itself. */
export const apiKeyView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z
      .string()
      .describe("`lf_` and the next 9 characters: enough to recognise the key, not to use it"),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime().nullable().describe("Updated on use, at most once a minute."),
  })
  .meta({ id: "ApiKey" });
export type ApiKeyView = z.infer<typeof apiKeyView>;

/** The answer to creating a key: the only time `key` is shown. */
export const createdApiKey = apiKeyView
  .extend({ key: z.string().describe("`lf_` + 43 URL-safe random characters; shown in this answer only.") })
  .meta({ id: "CreatedApiKey" });
export type CreatedApiKey = z.infer<typeof createdApiKey>;

export const apiKeyList = z.object({ items: z.array(apiKeyView) }).meta({ id: "ApiKeyList" });
export type ApiKeyList = z.infer<typeof apiKeyList>;
