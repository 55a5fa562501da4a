/**
 * The one way Portcullis talks to an identity provider: undici `request` through an injectable
 * dispatcher, a timeout on the whole exchange (headers and body), a bound on the body size, no
 * redirects, JSON only. Transport trouble becomes `ERR_IDP_UNAVAILABLE` (503 + Retry-After) and
 * garbage becomes `ERR_IDP_RESPONSE_INVALID` (503), so callers only handle the IdP's verdicts.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { publish } from '../diagnostics.js';
import { PortcullisError, isPortcullisError } from '../errors.js';
import { retryAfterSecFrom } from './idp-retry-after.js';

/** Default timeout of one IdP call, in ms. */
export const DEFAULT_IDP_TIMEOUT_MS = 2000;
/** Default bound on an IdP response body: 1 MiB. */
export const DEFAULT_IDP_MAX_BODY_BYTES = 1024 * 1024;

export interface IdpRequestOptions {
  /** Names the call in errors and on the `idp` diagnostics channel: `jwks`, `introspection`, `token`, `discovery`... */
  readonly operation: string;
  readonly url: string | URL;
  /** Default `GET`, or `POST` when `form` or `json` is given. */
  readonly method?: 'GET' | 'POST';
  /** Extra request headers (e.g. `authorization`). `accept: application/json` is always sent. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as `application/x-www-form-urlencoded`; `undefined` members are skipped, arrays repeat the name. */
  readonly form?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Sent as `application/json` (`JSON.stringify`). Give `form` or `json`, not both. */
  readonly json?: unknown;
  /** undici dispatcher; default: undici's global dispatcher. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Timeout for the whole exchange (connect, headers, body), in ms. */
  readonly timeoutMs: number;
  /** Bound on the response body in bytes; default 1 MiB. Bigger answers are `ERR_IDP_RESPONSE_INVALID`. */
  readonly maxBodyBytes?: number;
  /** The caller's signal (e.g. the authenticator's). Aborting it ends the call. */
  readonly signal?: AbortSignal | undefined;
  /** Epoch ms, for HTTP-date `Retry-After` values; default `Date.now`. */
  readonly now?: () => number;
}

/** An IdP answer the caller has to judge: a 2xx with a JSON body, or a 4xx other than 429. */
export interface IdpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /**
   * The parsed JSON body. Always present for 2xx (otherwise the call throws); for 4xx it is the
   * parsed body when it is JSON, else `undefined`.
   */
  readonly body: unknown;
}

/**
 * Call an IdP endpoint.
 *
 * - connection errors, timeouts, 429 and 5xx → `ERR_IDP_UNAVAILABLE` (Retry-After taken from the
 *   IdP's header when it is between 1 and 300 s, else 1);
 * - a redirect (3xx; never followed), a 2xx whose body is not JSON, a body over the bound →
 *   `ERR_IDP_RESPONSE_INVALID`;
 * - the caller's signal aborting with a `PortcullisError` reason rethrows that reason (e.g.
 *   `ERR_CLOSED`); any other abort is `ERR_IDP_UNAVAILABLE`.
 *
 * Publishes one `idp` diagnostics event per call. Errors never carry the request's credentials.
 */
export async function idpRequest(options: IdpRequestOptions): Promise<IdpResponse> {
  const started = performance.now();
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_IDP_MAX_BODY_BYTES;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let status: number | undefined;
  let outcome: 'ok' | 'error' = 'error';
  try {
    if (options.signal?.aborted) throw abortError(options, timeout);
    const { body, contentType } = encodeBody(options);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'portcullis',
      ...options.headers,
    };
    if (contentType !== undefined) headers['content-type'] = contentType;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(options.url, {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        ...(body === undefined ? {} : { body }),
        signal,
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
        // Explicit: a dispatcher composed with undici's redirect interceptor must not follow either.
        ...({ maxRedirections: 0 } as object),
      });
    } catch (error) {
      if (signal.aborted) throw abortError(options, timeout, error);
      throw unavailable(options.operation, 'could not be reached', error);
    }
    status = response.statusCode;
    if (status === 429 || status >= 500) {
      await discard(response);
      throw new PortcullisError(
        'ERR_IDP_UNAVAILABLE',
        `identity provider ${options.operation} call answered ${status}`,
        {
          retryAfterSec: retryAfterSecFrom(response.headers['retry-after'], now()),
          details: { operation: options.operation, status },
        },
      );
    }
    if (status >= 300 && status < 400) {
      await discard(response);
      throw invalid(
        options.operation,
        `answered with a redirect (${status}), which is not followed`,
        status,
      );
    }
    const text = await readBounded(response, maxBodyBytes, options, timeout);
    const parsed = parseJson(text);
    if (status >= 200 && status < 300) {
      if (parsed === NOT_JSON)
        throw invalid(options.operation, 'answered with a body that is not JSON', status);
      outcome = 'ok';
      return { status, headers: response.headers, body: parsed };
    }
    outcome = 'ok';
    return { status, headers: response.headers, body: parsed === NOT_JSON ? undefined : parsed };
  } finally {
    const durationMs = performance.now() - started;
    publish('idp', () => ({
      operation: options.operation,
      outcome,
      ...(status === undefined ? {} : { status }),
      durationMs,
    }));
  }
}

const NOT_JSON = Symbol('not-json');

function parseJson(text: string): unknown {
  if (text.trim() === '') return NOT_JSON;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

function encodeBody(options: IdpRequestOptions): {
  body: string | undefined;
  contentType: string | undefined;
} {
  if (options.form !== undefined && options.json !== undefined) {
    throw new TypeError('idpRequest: give form or json, not both');
  }
  if (options.form !== undefined) {
    return { body: encodeForm(options.form), contentType: 'application/x-www-form-urlencoded' };
  }
  if (options.json !== undefined) {
    return { body: JSON.stringify(options.json), contentType: 'application/json' };
  }
  return { body: undefined, contentType: undefined };
}

function encodeForm(form: NonNullable<IdpRequestOptions['form']>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) {
    if (value === undefined) continue;
    if (typeof value === 'string') params.append(name, value);
    else for (const item of value) params.append(name, item);
  }
  return params.toString();
}

async function readBounded(
  response: Dispatcher.ResponseData,
  maxBodyBytes: number,
  options: IdpRequestOptions,
  timeout: AbortSignal,
): Promise<string> {
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    response.body.destroy();
    throw tooLarge(options.operation, maxBodyBytes, response.statusCode);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > maxBodyBytes) {
        response.body.destroy();
        throw tooLarge(options.operation, maxBodyBytes, response.statusCode);
      }
      chunks.push(buffer);
    }
  } catch (error) {
    if (isPortcullisError(error)) throw error;
    if (options.signal?.aborted || timeout.aborted) throw abortError(options, timeout, error);
    throw unavailable(options.operation, 'broke off while sending its answer', error);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

async function discard(response: Dispatcher.ResponseData): Promise<void> {
  try {
    await response.body.dump({ limit: 64 * 1024 });
  } catch {
    // Nothing to do: the status already decided the outcome.
  }
}

function abortError(
  options: IdpRequestOptions,
  timeout: AbortSignal,
  cause?: unknown,
): PortcullisError {
  const reason: unknown = options.signal?.aborted ? options.signal.reason : undefined;
  if (isPortcullisError(reason)) return reason;
  if (timeout.aborted && !options.signal?.aborted) {
    return unavailable(options.operation, `timed out after ${options.timeoutMs} ms`, cause);
  }
  return unavailable(options.operation, 'was aborted', cause ?? reason);
}

function unavailable(operation: string, what: string, cause: unknown): PortcullisError {
  return new PortcullisError('ERR_IDP_UNAVAILABLE', `identity provider ${operation} call ${what}`, {
    cause,
    details: { operation },
  });
}

function invalid(operation: string, what: string, status: number): PortcullisError {
  return new PortcullisError(
    'ERR_IDP_RESPONSE_INVALID',
    `identity provider ${operation} call ${what}`,
    {
      details: { operation, status },
    },
  );
}

function tooLarge(operation: string, maxBodyBytes: number, status: number): PortcullisError {
  return invalid(operation, `answered with more than ${maxBodyBytes} bytes`, status);
}
