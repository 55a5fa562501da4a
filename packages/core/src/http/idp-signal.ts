/**
 * Waiting on a shared IdP call with a caller's own signal: the caller may give up, the shared
 * call keeps running for the others.
 */
import { PortcullisError, isPortcullisError } from '../errors.js';

/** The error a caller gets when its signal aborts while it waits on an IdP call. */
export function abortedWaiting(signal: AbortSignal, operation: string): PortcullisError {
  const reason: unknown = signal.reason;
  if (isPortcullisError(reason)) return reason;
  return new PortcullisError(
    'ERR_IDP_UNAVAILABLE',
    `identity provider ${operation} call was aborted`,
    {
      cause: reason,
      details: { operation },
    },
  );
}

/** Resolve with `promise`, or reject as soon as `signal` aborts (the promise itself is not cancelled). */
export function waitWithSignal<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  operation: string,
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortedWaiting(signal, operation));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedWaiting(signal, operation));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
