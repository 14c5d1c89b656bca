import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

/**
 * Channel secrets at rest. A secret that is only ever compared (WhatsApp's verify token, Postmark's password) is
 * kept as its SHA-256 digest. One that must compute an HMAC (WhatsApp's app secret, Mailgun's signing key) cannot
 * be hashed, so it is sealed with AES-256-GCM (random 96-bit nonce, authenticated): a database dump alone does not
 * reveal it, and a tampered value fails to open rather than verifying anything.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

const SEALED_VERSION = "v1";

/** The key comes from CHANNEL_SECRETS_KEY, else from JWT_SECRET under its own label, so the two never coincide. */
export function createSecretBox(material: string): SecretBox {
  const key = Buffer.from(hkdfSync("sha256", material, "", "leadflow channel secrets v1", 32));
  return {
    seal(plaintext) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const parts = [nonce, cipher.getAuthTag(), body].map((p) => p.toString("base64url"));
      return [SEALED_VERSION, ...parts].join(".");
    },
    open(sealed) {
      const [version, nonce, tag, body] = sealed.split(".");
      if (version !== SEALED_VERSION || !nonce || !tag || body === undefined) {
        throw new Error("sealed channel secret has an unknown format");
      }
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    },
  };
}

export const sha256 = (value: string | Buffer) => createHash("sha256").update(value).digest();

/** Whether `presented` is the secret whose digest is stored; constant time whatever the lengths. */
export function matchesDigest(presented: string, digest: Buffer | null): boolean {
  return digest !== null && digest.length === 32 && timingSafeEqual(sha256(presented), digest);
}

/** Two hex HMACs compared in constant time; a malformed or wrong-length one is simply not equal. */
export function sameHex(presented: string, expected: Buffer): boolean {
  if (!/^[0-9a-f]+$/i.test(presented) || presented.length !== expected.length * 2) return false;
  return timingSafeEqual(Buffer.from(presented, "hex"), expected);
}

/** A random secret of 32 bytes, URL-safe, after its prefix (`lfpk_`, a Postmark password). */
export const randomSecret = (prefix = "") => `${prefix}${randomBytes(32).toString("base64url")}`;
