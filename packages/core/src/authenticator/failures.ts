/** Error helpers of the authenticator: typed errors for callers, safe summaries for logs. */
import { PortcullisError } from '../errors.js';
import type { NegativeEntry } from '../cache/principal-cache.js';
import type { ComponentHealth, Logger } from '../types.js';

export function closedError(): PortcullisError {
  return new PortcullisError('ERR_CLOSED', 'The authenticator is closed');
}

/** A cached negative verdict, thrown again as an equivalent error. */
export function negativeError(entry: NegativeEntry): PortcullisError {
  return new PortcullisError(
    entry.code,
    entry.message,
    entry.details === undefined ? {} : { details: entry.details },
  );
}

/** A provider threw something that is not a PortcullisError: a bug or a transport error. Fail closed. */
export function unexpectedProviderError(error: unknown, logger: Logger): PortcullisError {
  logger.error({ err: errorSummary(error) }, 'portcullis: the provider failed unexpectedly');
  return new PortcullisError(
    'ERR_IDP_UNAVAILABLE',
    'The identity provider could not verify the credential',
    { cause: error },
  );
}

/** What may be logged of an error: its code and message (messages never carry secrets). */
export function errorSummary(error: unknown): { code?: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? { code, message: error.message } : { message: error.message };
  }
  return { message: String(error) };
}

/** A component's own health check must not break the health endpoint. */
export function safeHealth(read: () => ComponentHealth | undefined): ComponentHealth | undefined {
  try {
    return read();
  } catch (error) {
    return { status: 'down', detail: `health check failed: ${errorSummary(error).message}` };
  }
}
