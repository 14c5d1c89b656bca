/**
 * What of an error may reach a log line. drizzle's DrizzleQueryError carries the SQL text and every bound value in
 * its message (and so in its stack), and those values are lead text, emails, password hashes and model output. So
 * an error is logged as its class, the first line of its message, PostgreSQL's code, constraint, table and column
 * when present, its stack frames without the message, and its cause the same way; never the query or parameters.
 */
export interface LoggedError {
  type: string;
  message: string;
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  stack?: string;
  cause?: LoggedError;
}

const MAX_MESSAGE_CHARS = 300;
const MAX_CAUSE_DEPTH = 4;

export function serializeError(err: unknown, depth = 0): LoggedError {
  if (!(err instanceof Error)) {
    return { type: typeof err, message: firstLine(typeof err === "string" ? err : "non-error value thrown") };
  }
  const fields = err as Error & Partial<Record<"code" | "constraint" | "table" | "column", unknown>>;
  const out: LoggedError = { type: err.constructor?.name || err.name, message: safeMessage(err) };
  for (const key of ["code", "constraint", "table", "column"] as const) {
    const value = fields[key];
    if (typeof value === "string" && value) out[key] = value.slice(0, 100);
  }
  const frames = stackFrames(err.stack);
  if (frames) out.stack = frames;
  if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/**
 * drizzle's own message is the query ("Failed query: …"): what went wrong is in its cause, so it says only that.
 * A PostgreSQL message can quote the value it refused (`invalid input syntax for type uuid: "…"`), so quoted
 * parts are dropped; the constraint or column is kept in its own field.
 */
function safeMessage(err: Error): string {
  if (err.message.startsWith("Failed query:")) return "Failed query (text and parameters not logged)";
  return firstLine(err.message).replace(/"[^"]*"/g, '"…"');
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS)}…` : line;
}

/** The `at …` lines only: the stack's first lines repeat the whole message. */
function stackFrames(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  const frames = stack
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 12);
  return frames.length ? frames.join("\n") : undefined;
}
