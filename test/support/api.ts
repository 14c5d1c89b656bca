import { randomUUID } from "node:crypto";
import { loadConfig } from "@leadflow/core/config";
import { createApp } from "../../functions/api/app.ts";
import { createApiDeps } from "../../functions/api/deps.ts";
import { checkContract } from "./contract.ts";

export type TestApi = Awaited<ReturnType<typeof startTestApi>>;

/**
 * The real API over the run's isolated database and Redis prefix, called in-process through Hono's
 * `app.request` (real Request and Response objects, no socket). Extra env overrides config for one suite.
 */
export async function startTestApi(env: Record<string, string> = {}) {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: "test",
    BCRYPT_COST: "10",
    LOG_LEVEL: "silent",
    ...env,
  });
  const deps = createApiDeps(config);
  const app = createApp(deps);

  async function call(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["content-type"] ??= "application/json";
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    }
    const res = await app.request(path, { method, headers, body });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    // Every answer the suite receives is held to the served OpenAPI document, so drift fails the test that saw it.
    const contentType = res.headers.get("content-type");
    await checkContract(app, {
      method,
      path,
      status: res.status,
      contentType,
      json: text ? json : undefined,
    });
    return { status: res.status, headers: res.headers, json, text };
  }

  async function signup(
    email = `user-${randomUUID()}@example.test`,
    password = "correct horse battery",
    headers: Record<string, string> = {},
  ) {
    const res = await call("POST", "/auth/signup", { body: { email, password }, headers });
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
    return { email, password, token: res.json.access_token as string, userId: res.json.user.id as string };
  }

  return { app, deps, config, call, signup, close: () => deps.close() };
}

export const sampleLead = (overrides: Record<string, unknown> = {}) => ({
  name: "Dana Whitfield",
  contact_channel: "whatsapp",
  contact: "+44 7700 900123",
  message: "Hi, how much for a deep clean of a 3-bedroom flat in Leeds next Friday?",
  ...overrides,
});
