import { randomUUID } from "node:crypto";
import { verifyPassword } from "@leadflow/core/auth/password";
import { logIn } from "@leadflow/core/auth/users";
import type { DomainError } from "@leadflow/core/errors";
import bcrypt from "bcryptjs";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";

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

  it("answers unknown email and wrong password identically", async () => {
    const { email } = await api.signup(unique());
    const wrong = await api.call("POST", "/auth/login", { body: { email, password: "definitely wrong" } });
    const unknown = await api.call("POST", "/auth/login", {
      body: { email: unique(), password: "definitely wrong" },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.json).toEqual(wrong.json);
    expect(wrong.json.error.code).toBe("invalid_credentials");
  });

  // The same work, not the same wall time (which other test files running beside this one would skew; the
  // timing itself is `npm run bench:login`): an unknown email still costs one bcrypt comparison, against a
  // hash of the configured cost, so it cannot be told from a wrong password by how long it takes.
  it("spends one bcrypt comparison at the configured cost on an unknown email, as on a wrong password", async () => {
    const { email, userId } = await api.signup(unique());
    const comparisons: string[] = [];
    const recordingCompare = (password: string, hash: string) => {
      comparisons.push(hash);
      return verifyPassword(password, hash);
    };
    const { db } = api.deps.database;
    const cost = api.config.BCRYPT_COST;
    const attempt = (address: string) =>
      logIn(db, { email: address, password: "definitely wrong" }, cost, recordingCompare).catch(
        (err: DomainError) => err.code,
      );

    expect(await attempt(email)).toBe("invalid_credentials");
    expect(await attempt(unique())).toBe("invalid_credentials");
    expect(comparisons).toHaveLength(2);
    const { rows } = await api.deps.database.pool.query("select password_hash from users where id = $1", [
      userId,
    ]);
    expect(comparisons[0]).toBe(rows[0].password_hash);
    expect(comparisons[1]).not.toBe(comparisons[0]);
    expect(comparisons.map((hash) => bcrypt.getRounds(hash))).toEqual([cost, cost]);
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
    claims: {
      iss?: string;
      aud?: string;
      exp?: number;
      nbf?: number;
      sub?: string | null;
      jti?: string | null;
    },
    key = secretKey(),
  ) => {
    const jwt = new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(claims.iss ?? "leadflow")
      .setAudience(claims.aud ?? "leadflow-api")
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? now() + 600);
    if (claims.sub !== null) jwt.setSubject(claims.sub ?? userId);
    if (claims.jti !== null) jwt.setJti(claims.jti ?? randomUUID());
    if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
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
    ["a token with no sub", async () => forge({ sub: null })],
    ["a sub that is not a user id", async () => forge({ sub: "admin" })],
    ["a token not valid before a minute from now (nbf)", async () => forge({ nbf: now() + 60 })],
    ["a well-formed token for a user id that never existed", async () => forge({ sub: randomUUID() })],
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

  it("refuses every token of a deleted user, its signed-out ones too, and writes nothing for them", async () => {
    const { email, password, token } = await api.signup(unique());
    const signedOut = (await api.call("POST", "/auth/login", { body: { email, password } })).json
      .access_token;
    expect((await api.call("POST", "/auth/logout", { token: signedOut })).status).toBe(204);
    const userIdOf = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).sub;
    // Deleting the user also deletes its revocations (on delete cascade): only the user check still refuses them.
    await api.deps.database.pool.query("delete from users where id = $1", [userIdOf]);

    for (const presented of [token, signedOut]) {
      for (const [method, path, body] of [
        ["GET", "/auth/me", undefined],
        ["GET", "/leads", undefined],
        ["POST", "/leads", { name: "Ghost", contact_channel: "email", message: "Still there?" }],
      ] as const) {
        const res = await api.call(method, path, { token: presented, body });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.json.error.code).toBe("unauthorized");
      }
    }
    const written = await api.deps.database.pool.query(
      "select count(*)::int as n from leads where user_id = $1",
      [userIdOf],
    );
    expect(written.rows[0].n).toBe(0);
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

describe("sign-up rate limit", () => {
  let limited: TestApi;
  beforeAll(async () => {
    // TRUST_PROXY, so each case's requests come from addresses of its own.
    limited = await startTestApi({
      AUTH_RATE_LIMIT: "3",
      TRUST_PROXY: "1",
      REDIS_PREFIX: `${fileEnv("REDIS_PREFIX")}-signup-limit`,
    });
  });
  afterAll(() => limited.close());

  const from = (address: string) => ({ "x-forwarded-for": address });
  const signUpFrom = (address: string, email = unique()) =>
    limited.call("POST", "/auth/signup", {
      body: { email, password: "long enough pw" },
      headers: from(address),
    });

  it("limits sign-ups per address with 429 and Retry-After, creates no account past it, and leaves other addresses alone", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await signUpFrom("198.51.100.200")).status);
    const refusedEmail = unique();
    const refused = await signUpFrom("198.51.100.200", refusedEmail);
    expect([...statuses, refused.status]).toEqual([201, 201, 201, 429]);
    expect(refused.json.error.code).toBe("rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const { rowCount } = await limited.deps.database.pool.query("select 1 from users where email = $1", [
      refusedEmail,
    ]);
    expect(rowCount).toBe(0);
    expect((await signUpFrom("198.51.100.201")).status).toBe(201);
  });

  it("limits failed sign-ups per email across addresses, leaving other emails alone", async () => {
    const { email } = await limited.signup(unique(), "correct horse battery", from("198.51.100.210"));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await signUpFrom(`198.51.100.${211 + i}`, email)).status);
    expect(statuses).toEqual([409, 409, 409, 429]);
    expect((await signUpFrom("198.51.100.215")).status).toBe(201);
  });
});
