import pino from "pino";

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
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
