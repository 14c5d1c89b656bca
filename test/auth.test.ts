import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

const unique = () => `u${Date.now()}${Math.random().toString(36).slice(2)}@example.test`;

describe("signup", () => {
  it("creates the user, normalises the email and returns a bearer token", async () => {
    const email = unique();
    const res = await api.call("POST", "/auth/signup", {
      body: { email: `  ${email.toUpperCase()} `, password: "s3cret-enough" },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ token_type: "Bearer", expires_in: 3600, user: { email } });
    expect(res.json.user).not.toHaveProperty("password_hash");
    const me = await api.call("GET", "/auth/me", { token: res.json.access_token });
    expect(me.status).toBe(200);
    expect(me.json.email).toBe(email);
  });

  it("refuses a second account for the same email in any case", async () => {
    const email = unique();
    expect(
      (await api.call("POST", "/auth/signup", { body: { email, password: "first-password" } })).status,
    ).toBe(201);
    const again = await api.call("POST", "/auth/signup", {
      body: { email: email.toUpperCase(), password: "other-password" },
    });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("email_taken");
  });

  it.each([
    ["short", "1234567", "password"],
    ["over bcrypt's 72 bytes", "é".repeat(37), "password"],
  ])("refuses a %s password with the field path", async (_label, password, path) => {
    const res = await api.call("POST", "/auth/signup", { body: { email: unique(), password } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("validation_failed");
    expect(res.json.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it("accepts exactly 72 bytes", async () => {
    const res = await api.call("POST", "/auth/signup", {
      body: { email: unique(), password: "a".repeat(72) },
    });
    expect(res.status).toBe(201);
  });

  it("refuses an invalid email", async () => {
    const res = await api.call("POST", "/auth/signup", {
      body: { email: "not-an-email", password: "long enough" },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].path).toBe("email");
  });
});

describe("login", () => {
  it("returns a token for the right password, whatever the email's case and spacing", async () => {
    const { email, password } = await api.signup(unique());
    const res = await api.call("POST", "/auth/login", {
      body: { email: ` ${email.toUpperCase()}`, password },
    });
    expect(res.status).toBe(200);
    expect(typeof res.json.access_token).toBe("string");
  });

  it("answers unknown email and wrong password identically, after comparable work", async () => {
    const { email } = await api.signup(unique());
    const time = async (body: object) => {
      const started = performance.now();
      const res = await api.call("POST", "/auth/login", { body });
      return { res, ms: performance.now() - started };
    };
    const samples = { wrong: [] as number[], unknown: [] as number[] };
    let wrong!: Awaited<ReturnType<typeof time>>;
    let unknown!: Awaited<ReturnType<typeof time>>;
    for (let i = 0; i < 5; i++) {
      wrong = await time({ email, password: "definitely wrong" });
      unknown = await time({ email: unique(), password: "definitely wrong" });
      samples.wrong.push(wrong.ms);
      samples.unknown.push(unknown.ms);
    }
    expect(wrong.res.status).toBe(401);
    expect(unknown.res.status).toBe(401);
    expect(unknown.res.json).toEqual(wrong.res.json);
    expect(wrong.res.json.error.code).toBe("invalid_credentials");
    // Both paths run one bcrypt comparison; without the dummy hash the unknown email would be ~100x faster.
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[2]!;
    expect(median(samples.unknown)).toBeGreaterThan(median(samples.wrong) * 0.4);
  });
});

describe("tokens", () => {
  const encode = (obj: object) => Buffer.from(JSON.stringify(obj)).toString("base64url");
  const secretKey = () => new TextEncoder().encode(api.config.JWT_SECRET);
  const now = () => Math.floor(Date.now() / 1000);
  let userId: string;
  beforeAll(async () => {
    userId = (await api.signup(unique())).userId;
  });

  const forge = (
    claims: { iss?: string; aud?: string; exp?: number; sub?: string; jti?: string | null },
    key = secretKey(),
  ) => {
    const jwt = new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(claims.sub ?? userId)
      .setIssuer(claims.iss ?? "leadflow")
      .setAudience(claims.aud ?? "leadflow-api")
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? now() + 600);
    if (claims.jti !== null) jwt.setJti(claims.jti ?? randomUUID());
    return jwt.sign(key);
  };

  it("accepts a well-formed token (the control for the attacks below)", async () => {
    expect((await api.call("GET", "/leads", { token: await forge({}) })).status).toBe(200);
  });

  it.each([
    ["no token", async () => undefined],
    ["garbage", async () => "not.a.jwt"],
    [
      "alg none",
      async () =>
        `${encode({ alg: "none", typ: "JWT" })}.${encode({ sub: userId, iss: "leadflow", aud: "leadflow-api", iat: now(), exp: now() + 600 })}.`,
    ],
    [
      "a wrong signature",
      async () => forge({}, new TextEncoder().encode("another-secret-that-is-32-bytes-long!!")),
    ],
    ["a wrong issuer", async () => forge({ iss: "someone-else" })],
    ["a wrong audience", async () => forge({ aud: "another-api" })],
    ["an expired token", async () => forge({ exp: now() - 120 })],
    ["a token with no jti (it could never be revoked)", async () => forge({ jti: null })],
    [
      "HS512 with the right key",
      async () =>
        new SignJWT({})
          .setProtectedHeader({ alg: "HS512" })
          .setSubject(userId)
          .setIssuer("leadflow")
          .setAudience("leadflow-api")
          .setIssuedAt()
          .setExpirationTime("10m")
          .sign(secretKey()),
    ],
  ])("answers 401 unauthorized for %s", async (_label, make) => {
    const token = await make();
    const res = await api.call("GET", "/leads", token ? { token } : {});
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe("unauthorized");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });
});

describe("logout", () => {
  it("revokes the presented token: 204, then 401 on every route, while the user's other tokens still work", async () => {
    const { email, password, token } = await api.signup(unique());
    const other = (await api.call("POST", "/auth/login", { body: { email, password } })).json.access_token;
    expect((await api.call("GET", "/auth/me", { token })).status).toBe(200);
    const out = await api.call("POST", "/auth/logout", { token });
    expect(out.status).toBe(204);
    expect(out.text).toBe("");
    for (const [method, path] of [
      ["GET", "/auth/me"],
      ["GET", "/leads"],
      ["POST", "/auth/logout"],
    ] as const) {
      const res = await api.call(method, path, { token });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe("unauthorized");
    }
    expect((await api.call("GET", "/auth/me", { token: other })).status).toBe(200);
  });

  it("issues every token with its own jti", async () => {
    const { email, password, token } = await api.signup(unique());
    const again = (await api.call("POST", "/auth/login", { body: { email, password } })).json.access_token;
    const jti = (t: string) => JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()).jti;
    expect(jti(token)).toMatch(/^[0-9a-f-]{36}$/);
    expect(jti(again)).not.toBe(jti(token));
  });

  it("keeps a revocation only until the token would have expired, then prunes it", async () => {
    const { token } = await api.signup(unique());
    const { jti } = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    expect((await api.call("POST", "/auth/logout", { token })).status).toBe(204);
    const { rows } = await api.deps.database.pool.query(
      "select extract(epoch from expires_at)::int as exp from revoked_tokens where jti = $1",
      [jti],
    );
    expect(rows[0].exp).toBe(JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).exp);
    await api.deps.database.pool.query(
      "update revoked_tokens set expires_at = now() - interval '1 second' where jti = $1",
      [jti],
    );
    const next = await api.signup(unique());
    expect((await api.call("POST", "/auth/logout", { token: next.token })).status).toBe(204);
    const left = await api.deps.database.pool.query("select 1 from revoked_tokens where jti = $1", [jti]);
    expect(left.rowCount).toBe(0);
  });

  it("needs a token", async () => {
    const res = await api.call("POST", "/auth/logout");
    expect(res.status).toBe(401);
  });
});
