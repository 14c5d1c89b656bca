import { createRoute, z } from "@hono/zod-openapi";
import { createApiKey, listApiKeys, revokeApiKey } from "@leadflow/core/api-keys/api-keys";
import { errorResponse } from "../errors.ts";
import { requireSession } from "../middleware/auth.ts";
import { bearerSecurity, errorAnswers, isUuid, json, openApiRouter } from "../openapi-router.ts";

const keyName = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(100, "must be at most 100 characters")
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters"),
});

const apiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z
      .string()
      .describe("`lf_` and the next 9 characters: enough to recognise the key, not to use it"),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime().nullable().describe("updated on use, at most once a minute"),
  })
  .openapi("ApiKey");

const keyParams = z.object({ id: z.string() });

const sessionErrors = errorAnswers({
  401: "Missing, invalid or expired token (`unauthorized`).",
  403: "`forbidden`: an API key cannot manage API keys.",
});

const create = createRoute({
  method: "post",
  path: "/api-keys",
  summary: "Create an API key for a machine client; the key is shown in this answer only",
  security: bearerSecurity,
  middleware: [requireSession] as const,
  request: { body: { required: true, content: json(keyName) } },
  responses: {
    201: {
      description: "Created. Keep `key`: it is stored only as a SHA-256 digest and never shown again.",
      content: json(apiKey.extend({ key: z.string().describe("`lf_` + 43 URL-safe random characters") })),
    },
    ...errorAnswers({
      400: "`validation_failed` or `invalid_json`.",
      409: "`limit_reached`: the user already holds 20 keys.",
    }),
    ...sessionErrors,
  },
});

const list = createRoute({
  method: "get",
  path: "/api-keys",
  summary: "The caller's live API keys, oldest first, never the keys themselves",
  security: bearerSecurity,
  middleware: [requireSession] as const,
  responses: {
    200: { description: "The keys.", content: json(z.object({ items: z.array(apiKey) })) },
    ...sessionErrors,
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/api-keys/{id}",
  summary: "Revoke an API key: it is refused (401) from then on",
  security: bearerSecurity,
  middleware: [requireSession] as const,
  request: { params: keyParams },
  responses: {
    204: { description: "Revoked." },
    ...errorAnswers({ 404: "Not the caller's key, or no such key (`not_found`)." }),
    ...sessionErrors,
  },
});

/** API keys: a signed-in person manages their machine clients' keys (a key itself may not: 403). */
export const apiKeyRoutes = openApiRouter()
  .openapi(create, async (c) => {
    const created = await createApiKey(c.var.deps.database.db, c.var.userId, c.req.valid("json").name);
    c.var.log.info({ api_key_id: created.id, prefix: created.prefix }, "api key created");
    return c.json(created, 201);
  })
  .openapi(list, async (c) => c.json(await listApiKeys(c.var.deps.database.db, c.var.userId), 200))
  .openapi(revoke, async (c) => {
    const { id } = c.req.valid("param");
    // An id that is not a uuid names none of the caller's keys: the same 404 as another user's.
    if (!isUuid(id)) return errorResponse(c, "not_found", "No such API key.");
    await revokeApiKey(c.var.deps.database.db, c.var.userId, id);
    c.var.log.info({ api_key_id: id }, "api key revoked");
    return c.body(null, 204);
  });
