/** One mapping from any error to an HTTP answer, shared by the middleware and the sidecar. */
import { isPortcullisError } from '../errors.js';
import type { PortcullisError } from '../errors.js';
import { buildChallenge } from './challenge.js';

/** An HTTP error answer, ready to send as JSON. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: { error: string; error_description: string; code: string };
}

/** How the answer challenges the client. */
export interface ErrorResponseOptions {
  readonly realm: string;
  /** Offer `Basic` on 401 answers (client credentials currently accepted). */
  readonly basic: boolean;
}

/**
 * Maps an error to status, headers and body.
 *
 * - `PortcullisError`: its status and `toJSON()` body. `WWW-Authenticate` on 401 (no `error` when
 *   no credential was sent; `Basic` offered when `basic`), on 403 `insufficient_scope` (with the
 *   required `scope` when known) and on 400 `invalid_request`. `Retry-After` (seconds) on 503 and
 *   429.
 * - Anything else: 500 `server_error`, code `ERR_INTERNAL`, a generic description (fail closed;
 *   nothing internal leaks).
 */
export function errorResponse(error: unknown, opts: ErrorResponseOptions): ErrorResponse {
  if (!isPortcullisError(error)) {
    return {
      status: 500,
      headers: {},
      body: {
        error: 'server_error',
        error_description: 'internal error',
        code: 'ERR_INTERNAL',
      },
    };
  }
  const headers: Record<string, string> = {};
  const challenge = challengeFor(error, opts);
  if (challenge !== undefined) headers['WWW-Authenticate'] = challenge;
  if (error.status === 503 || error.status === 429) {
    headers['Retry-After'] = String(retryAfter(error.retryAfterSec));
  }
  return { status: error.status, headers, body: error.toJSON() };
}

function challengeFor(error: PortcullisError, opts: ErrorResponseOptions): string | undefined {
  if (error.status === 401) {
    return buildChallenge({
      realm: opts.realm,
      basic: opts.basic,
      ...(error.oauthError === undefined
        ? {}
        : { error: error.oauthError, description: error.message }),
    });
  }
  if (error.status === 403 && error.oauthError === 'insufficient_scope') {
    return buildChallenge({
      realm: opts.realm,
      error: 'insufficient_scope',
      description: error.message,
      scope: requiredScopes(error),
    });
  }
  if (error.status === 400 && error.oauthError === 'invalid_request') {
    return buildChallenge({
      realm: opts.realm,
      error: 'invalid_request',
      description: error.message,
    });
  }
  return undefined;
}

function requiredScopes(error: PortcullisError): readonly string[] | undefined {
  const scopes = error.details?.['requiredScopes'];
  return Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string')
    ? scopes
    : undefined;
}

function retryAfter(seconds: number | undefined): number {
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 1;
}
