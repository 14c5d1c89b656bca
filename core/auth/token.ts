import { randomUUID } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";

export const JWT_ISSUER = "leadflow";
export const JWT_AUDIENCE = "leadflow-api";

/** What a valid token says: whose it is, its id (to revoke it by) and when it would expire anyway. */
export interface TokenClaims {
  userId: string;
  jti: string;
  expiresAt: Date;
}

export interface TokenSigner {
  sign(userId: string): Promise<{ token: string; expiresIn: number }>;
  /** The claims of a token that is well-formed and signed by us, or null for any other. Revocation is not seen here. */
  verify(token: string): Promise<TokenClaims | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createTokenSigner(secret: string, ttlSeconds: number): TokenSigner {
  if (Buffer.byteLength(secret, "utf8") < 32) throw new Error("JWT secret must be at least 32 bytes");
  const key = new TextEncoder().encode(secret);
  return {
    async sign(userId) {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(userId)
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
      return { token, expiresIn: ttlSeconds };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ["HS256"],
          issuer: JWT_ISSUER,
          audience: JWT_AUDIENCE,
          // No jti, no way to revoke it: such a token is not honoured (those issued before jti existed included).
          requiredClaims: ["sub", "exp", "iat", "jti"],
        });
        const { sub, jti, exp } = payload;
        // Both are ids we issued: anything else is not our token (and must not reach a uuid column as a 500).
        if (typeof sub !== "string" || !UUID.test(sub) || typeof jti !== "string" || !UUID.test(jti))
          return null;
        if (typeof exp !== "number") return null;
        return { userId: sub, jti, expiresAt: new Date(exp * 1000) };
      } catch (err) {
        if (err instanceof errors.JOSEError || err instanceof TypeError) return null;
        throw err;
      }
    },
  };
}
