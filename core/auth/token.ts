import { errors, jwtVerify, SignJWT } from "jose";

export const JWT_ISSUER = "leadflow";
export const JWT_AUDIENCE = "leadflow-api";

export interface TokenSigner {
  sign(userId: string): Promise<{ token: string; expiresIn: number }>;
  /** The user id the token was issued to, or null for any token that must not be honoured. */
  verify(token: string): Promise<string | null>;
}

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
          requiredClaims: ["sub", "exp", "iat"],
        });
        return typeof payload.sub === "string" && payload.sub ? payload.sub : null;
      } catch (err) {
        if (err instanceof errors.JOSEError || err instanceof TypeError) return null;
        throw err;
      }
    },
  };
}
