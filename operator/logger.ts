import { pino, type Logger } from "pino";

export type { Logger };

/** Paths that may carry credentials anywhere in a log record; pino replaces them. */
export const REDACT_PATHS = [
  "password",
  "token",
  "secret",
  "authorization",
  "apiKey",
  "*.password",
  "*.token",
  "*.secret",
  "*.authorization",
  "*.Authorization",
  "*.apiKey",
  "headers.authorization",
  "headers.Authorization",
  "credentials",
  "*.credentials",
  "data",
  "*.data",
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { component: "fixops" },
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}
