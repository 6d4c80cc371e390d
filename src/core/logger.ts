/**
 * @module core/logger
 * pino with redaction of everything that may carry a secret (tokens, auth headers, cookies, app secrets),
 * so a secret can never reach a log line even when a caller logs a whole request or config object.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature"]',
  'req.headers["x-hub-signature-256"]',
  'headers.authorization',
  'headers.cookie',
  '*.token',
  '*.accessToken',
  '*.appSecret',
  '*.verifyToken',
  '*.password',
  '*.secret',
  '*.clientSecret',
  'token',
  'accessToken',
  'appSecret',
  'password',
  'secret',
];

export interface LoggerOptions {
  level?: string;
  /** Write to this destination instead of stdout (tests capture logs this way). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? process.env.RAMPART_LOG_LEVEL ?? 'info',
    base: { svc: 'rampart' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return opts.destination ? pino(options, opts.destination as pino.DestinationStream) : pino(options);
}

/** A logger that drops everything: for CLI commands whose output is the product (scan --json). */
export const silentLogger = (): Logger => pino({ level: 'silent' });
