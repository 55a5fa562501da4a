/** pino JSON logs. Credential-bearing headers are redacted should anything ever log a request. */
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

export type SidecarLogger = PinoLogger;

/** Bytes collected before a write to stdout, and the longest a line waits for them (ms). */
export const LOG_BATCH_BYTES = 4096;
export const LOG_FLUSH_MS = 200;

/**
 * A pino logger at `level`, JSON to `destination` or else to stdout through an asynchronous
 * pino destination that batches: a write happens once 4 KiB of lines have gathered (about 15
 * access-log lines) or every 200 ms, so a busy sidecar makes one write per batch instead of one per
 * request, and a slow reader of the pipe never stalls the event loop. pino flushes it
 * synchronously on exit; call `logger.flush()` after a line someone waits for.
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
    destination ??
      pino.destination({
        dest: 1,
        sync: false,
        minLength: LOG_BATCH_BYTES,
        periodicFlush: LOG_FLUSH_MS,
      }),
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
