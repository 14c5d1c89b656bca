import pino from "pino";
import { serializeError } from "./log-errors.ts";

export type Logger = pino.Logger;

/** JSON logs; secrets and lead content never reach them, whatever a caller passes. */
export function createLogger(
  options: { level: string; name: string },
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          "password",
          "*.password",
          "authorization",
          "*.authorization",
          "headers.authorization",
          "req.headers.authorization",
          "token",
          "*.token",
          "access_token",
          "*.access_token",
          "apiKey",
          "*.apiKey",
          "message_body",
          "*.message_body",
          "lead.message",
          "input.message",
        ],
        censor: "[redacted]",
      },
      // Errors go through one serializer that never keeps SQL text or bound parameters.
      serializers: { err: serializeError, error: serializeError },
    },
    destination,
  );
}
