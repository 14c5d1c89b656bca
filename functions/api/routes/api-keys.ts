import { $, createRoute } from "@hono/zod-openapi";
import { createApiKey, listApiKeys, revokeApiKey } from "@leadflow/core/api-keys/api-keys";
import { apiKeyList, createdApiKey } from "@leadflow/core/api-keys/views";
import { z } from "zod";
import { requireSession } from "../middleware/auth.ts";
import {
  errorAnswers,
  JSON_BODY_ERRORS,
  jsonAnswer,
  jsonBody,
  SESSION_ONLY_ERRORS,
  SIGNED_IN,
} from "../responses.ts";
import { idParams, router } from "../router.ts";

const keyName = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(100, "must be at most 100 characters")
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters"),
});

const tags = ["api-keys"];

const create = createRoute({
  method: "post",
  path: "/",
  operationId: "createApiKey",
  summary: "Create an API key for a machine client; the key is shown in this answer only",
  tags,
  ...SIGNED_IN,
  request: { body: jsonBody(keyName) },
  responses: {
    201: jsonAnswer(
      "Created. Keep `key`: it is stored only as a SHA-256 digest and never shown again.",
      createdApiKey,
    ),
    ...errorAnswers(...JSON_BODY_ERRORS, ...SESSION_ONLY_ERRORS, "limit_reached"),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  operationId: "listApiKeys",
  summary: "The caller's live API keys, oldest first, never the keys themselves",
  tags,
  ...SIGNED_IN,
  responses: { 200: jsonAnswer("The keys.", apiKeyList), ...errorAnswers(...SESSION_ONLY_ERRORS) },
});

const revoke = createRoute({
  method: "delete",
  path: "/{id}",
  operationId: "revokeApiKey",
  summary: "Revoke an API key: it is refused (401) from then on",
  tags,
  ...SIGNED_IN,
  request: { params: idParams },
  responses: {
    204: { description: "Revoked." },
    ...errorAnswers("not_found", ...SESSION_ONLY_ERRORS),
  },
});

/** API keys: a signed-in person manages their machine clients' keys (a key itself may not: 403). */
export const apiKeyRoutes = $(router().use(requireSession))
  .openapi(create, async (c) => {
    const created = await createApiKey(c.var.deps.database.db, c.var.userId, c.req.valid("json").name);
    c.var.log.info({ api_key_id: created.id, prefix: created.prefix }, "api key created");
    return c.json(created, 201);
  })
  .openapi(list, async (c) => c.json(await listApiKeys(c.var.deps.database.db, c.var.userId), 200))
  .openapi(revoke, async (c) => {
    const { id } = c.req.valid("param");
    await revokeApiKey(c.var.deps.database.db, c.var.userId, id);
    c.var.log.info({ api_key_id: id }, "api key revoked");
    return c.body(null, 204);
  });
