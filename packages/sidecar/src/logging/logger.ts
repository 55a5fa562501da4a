/** pino JSON logs. Credential-bearing headers are redacted should anything ever log a request. */
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

export type SidecarLogger = PinoLogger;

/** A pino logger at `level`, JSON to stdout unless `destination` is given. */
export function createLogger(level: string, destination?: DestinationStream): SidecarLogger {
  return pino(
    {
      level,
      base: { service: 'portcullis' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'headers.authorization',
          'headers["x-api-key"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** One access-log line's fields. Never a credential, never the query string. */
export interface AccessLogEntry {
  readonly kind: 'proxy' | 'verify' | 'webhook' | 'reserved' | 'upgrade';
  readonly method: string;
  /** Normalised path (or the raw path when it could not be normalised), without the query. */
  readonly path: string;
  readonly status: number;
  readonly decision: 'allow' | 'deny' | 'public' | 'error' | 'none';
  readonly reason?: string;
  readonly rule?: string;
  readonly latencyMs: number;
  readonly upstreamMs?: number;
  readonly subject?: string;
  readonly clientId?: string;
  readonly tenantId?: string;
  readonly client: string;
}

export function logAccess(logger: SidecarLogger, entry: AccessLogEntry): void {
  logger.info({ access: entry }, 'request');
}
