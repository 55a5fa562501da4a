/**
 * The Frontegg preset's one door to the network: core's `idpRequest` (timeout, size bound, no
 * redirects, 5xx/429 → ERR_IDP_UNAVAILABLE), plus the one Frontegg verdict every vendor route can
 * give: `403 {"errors":["Api tokens are disabled"]}` (frontegg-wire.md §4, §8).
 */
import type { Dispatcher } from 'undici';
import { PortcullisError } from '../../errors.js';
import { idpRequest } from '../../http/idp-request.js';

/** One call, as the preset's modules describe it. */
export interface FronteggCall {
  /** Diagnostics name, e.g. `frontegg-active`. */
  readonly operation: string;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as `application/json`. */
  readonly json?: unknown;
  readonly signal: AbortSignal;
  /** 4xx statuses handed back instead of turned into ERR_IDP_RESPONSE_INVALID. */
  readonly passStatuses?: readonly number[];
  /** Bound on the answer, in bytes; default `idpRequest`'s (1 MiB). */
  readonly maxBodyBytes?: number;
}

export interface FronteggAnswer {
  readonly status: number;
  readonly body: unknown;
}

export type FronteggSend = (call: FronteggCall) => Promise<FronteggAnswer>;

export interface FronteggHttpOptions {
  readonly dispatcher: Dispatcher | undefined;
  readonly timeoutMs: number;
  readonly now: () => number;
}

/** Builds the `send` function every module of the preset uses. */
export function createFronteggSend(options: FronteggHttpOptions): FronteggSend {
  return async (call) => {
    const answer = await idpRequest({
      operation: call.operation,
      url: call.url,
      method: call.method,
      headers: call.headers ?? {},
      ...(call.json === undefined ? {} : { json: call.json }),
      dispatcher: options.dispatcher,
      timeoutMs: options.timeoutMs,
      ...(call.maxBodyBytes === undefined ? {} : { maxBodyBytes: call.maxBodyBytes }),
      signal: call.signal,
      now: options.now,
    });
    const passed = answer.status < 300 || call.passStatuses?.includes(answer.status) === true;
    // Checked first: whatever else a route would answer, "disabled" is policy, not a verdict.
    if (isApiTokensDisabled(answer.status, answer.body)) throw m2mDisabled();
    if (passed) return { status: answer.status, body: answer.body };
    throw new PortcullisError(
      'ERR_IDP_RESPONSE_INVALID',
      `Frontegg ${call.operation} call answered ${answer.status}`,
      { details: { operation: call.operation, status: answer.status } },
    );
  };
}

/** Frontegg's signal that M2M tokens are switched off for the environment. */
export function isApiTokensDisabled(status: number, body: unknown): boolean {
  if (status !== 403 || typeof body !== 'object' || body === null) return false;
  const errors = (body as { errors?: unknown }).errors;
  return (
    Array.isArray(errors) &&
    errors.some((item) => typeof item === 'string' && /api tokens are disabled/i.test(item))
  );
}

/** The error raised when Frontegg says M2M is disabled; the provider turns it into policy. */
export function m2mDisabled(): PortcullisError {
  return new PortcullisError('ERR_M2M_DISABLED', 'M2M tokens are disabled by the vendor', {
    details: { source: 'frontegg' },
  });
}
