/** pino JSON logs. Credential-bearing headers are redacted should anything ever log a request. */
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

export type SidecarLogger = PinoLogger;

/**
 * A pino logger at `level`, JSON to `destination` or else to stdout through an asynchronous
 * pino destination: lines written while a write is in flight are batched into the next one, so a
 * busy sidecar makes one write per batch instead of one blocking write per access-log line, and
 * a slow reader of the pipe never stalls the event loop. pino flushes it synchronously on exit.
 */
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
    destination ?? pino.destination({ dest: 1, sync: false }),
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

/** The fields an endpoint reports; `logAccess` adds the rest. */
export type AccessFields = Omit<AccessLogEntry, 'latencyMs' | 'client' | 'method'>;

/**
 * One access-log line, from the root logger (no child logger per request). The entry is built
 * once, in field order, and serialised once by pino.
 */
export function logAccess(
  logger: SidecarLogger,
  fields: AccessFields,
  method: string,
  client: string,
  latencyMs: number,
): void {
  if (!logger.isLevelEnabled('info')) return;
  const entry: AccessLogEntry = { ...fields, method, client, latencyMs };
  logger.info({ access: entry }, 'request');
}
