import { describe, expect, it } from "vitest";
import { createSecretBox, matchesDigest, sameHex, sha256 } from "./secrets.ts";

describe("channel secrets at rest", () => {
  const box = createSecretBox("a-channel-secrets-key-of-32-characters!");

  it("seals a secret so that the stored form does not carry it and opens it back", () => {
    const sealed = box.seal("mailgun-signing-key-123");
    expect(sealed).not.toContain("mailgun");
    expect(box.seal("mailgun-signing-key-123")).not.toBe(sealed);
    expect(box.open(sealed)).toBe("mailgun-signing-key-123");
  });

  it("refuses to open a tampered value or one sealed under another key", () => {
    const sealed = box.seal("app-secret");
    const [version, nonce, tag, body] = sealed.split(".");
    const flipped = `${body![0] === "A" ? "B" : "A"}${body!.slice(1)}`;
    expect(() => box.open([version, nonce, tag, flipped].join("."))).toThrow();
    expect(() => createSecretBox("another-key-material-of-32-characters").open(sealed)).toThrow();
    expect(() => box.open("not sealed")).toThrow();
  });

  it("compares digests and hex HMACs without accepting near misses", () => {
    expect(matchesDigest("token", sha256("token"))).toBe(true);
    expect(matchesDigest("token ", sha256("token"))).toBe(false);
    expect(matchesDigest("token", null)).toBe(false);
    const mac = Buffer.from("00ff", "hex");
    expect(sameHex("00FF", mac)).toBe(true);
    expect(sameHex("00fe", mac)).toBe(false);
    expect(sameHex("00ff00", mac)).toBe(false);
    expect(sameHex("zz", Buffer.from("aa", "hex"))).toBe(false);
  });
});
