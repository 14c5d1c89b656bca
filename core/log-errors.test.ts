import pg from "pg";
import { describe, expect, it } from "vitest";
import { serializeError } from "./log-errors.ts";
import { createLogger } from "./logger.ts";

/** A stand-in shaped like drizzle's DrizzleQueryError: the query and its parameters in the message. */
class DrizzleQueryError extends Error {
  constructor(query: string, params: unknown[], cause: Error) {
    super(`Failed query: ${query}\nparams: ${params.join(",")}`, { cause });
  }
}

describe("serializeError", () => {
  it("keeps PostgreSQL's code, constraint and table and drops the query text and parameters", () => {
    const cause = Object.assign(
      new pg.DatabaseError(
        'duplicate key value violates unique constraint "users_email_lower_key"',
        0,
        "error",
      ),
      {
        code: "23505",
        constraint: "users_email_lower_key",
        table: "users",
        detail: "Key (lower(email))=(secret@example.com) already exists.",
      },
    );
    const err = new DrizzleQueryError(
      "insert into users (email, password_hash) values ($1, $2)",
      ["secret@example.com", "$2b$12$hash"],
      cause,
    );
    const logged = serializeError(err);
    const text = JSON.stringify(logged);
    expect(text).not.toContain("secret@example.com");
    expect(text).not.toContain("$2b$12$hash");
    expect(text).not.toContain("insert into");
    expect(logged.message).toBe("Failed query (text and parameters not logged)");
    expect(logged.cause).toMatchObject({
      code: "23505",
      constraint: "users_email_lower_key",
      table: "users",
    });
    expect(logged.stack).toMatch(/^\s+at /);
  });

  it("drops values PostgreSQL quotes in its message and keeps only the first line", () => {
    const logged = serializeError(new Error('invalid input syntax for type uuid: "lead text here"\nmore'));
    expect(logged.message).toBe('invalid input syntax for type uuid: "…"');
  });

  it("is what the logger uses for err", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", name: "t" }, { write: (line: string) => lines.push(line) });
    const err = new DrizzleQueryError(
      "update x set a = $1",
      ["model output ok\u0000then"],
      new Error("unsupported Unicode escape sequence"),
    );
    log.error({ err }, "failed");
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("model output");
    expect(lines[0]).not.toContain("update x");
    expect(JSON.parse(lines[0]!).err.cause.message).toBe("unsupported Unicode escape sequence");
  });
});
