/**
 * One error base class with stable codes. Every code maps to an HTTP status and, where RFC 6750
 * defines one, an OAuth error code. `docs/errors.md` documents every code; a test keeps them in sync.
 */

export type OAuthErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export interface ErrorCodeInfo {
  readonly status: number;
  /** RFC 6750 §3.1 error code, or undefined where the spec says to send none (no credential). */
  readonly oauthError?: OAuthErrorCode | undefined;
  /**
   * True when the error is the IdP's (or the verifier's) verdict about the credential itself, so it
   * may be negative-cached. IdP failures, policy and authorization outcomes are never cached.
   */
  readonly negative: boolean;
}

const info = (status: number, oauthError?: OAuthErrorCode, negative = false): ErrorCodeInfo =>
  Object.freeze({ status, oauthError, negative });

/** Every error code Portcullis produces. Keep `docs/errors.md` in step (a test checks). */
export const ERROR_CODES = Object.freeze({
  // Request shape (400 invalid_request)
  ERR_MALFORMED_CREDENTIAL: info(400, 'invalid_request'),
  ERR_MULTIPLE_CREDENTIALS: info(400, 'invalid_request'),
  ERR_CREDENTIAL_TOO_LARGE: info(400, 'invalid_request'),
  ERR_TOKEN_IN_QUERY: info(400, 'invalid_request'),
  ERR_INVALID_PATH: info(400, 'invalid_request'),
  // No credential at all (401, challenge without an error code)
  ERR_NO_CREDENTIAL: info(401),
  // The credential is not good (401 invalid_token)
  ERR_TOKEN_MALFORMED: info(401, 'invalid_token', true),
  ERR_TOKEN_SIGNATURE_INVALID: info(401, 'invalid_token', true),
  ERR_TOKEN_ALG_NOT_ALLOWED: info(401, 'invalid_token', true),
  ERR_TOKEN_EXPIRED: info(401, 'invalid_token', true),
  ERR_TOKEN_NOT_YET_VALID: info(401, 'invalid_token', true),
  ERR_TOKEN_CLAIM_INVALID: info(401, 'invalid_token', true),
  ERR_TOKEN_TYPE_NOT_ALLOWED: info(401, 'invalid_token', true),
  ERR_TOKEN_INACTIVE: info(401, 'invalid_token', true),
  ERR_TOKEN_LIFETIME_TOO_LONG: info(401, 'invalid_token', true),
  ERR_CLIENT_CREDENTIALS_INVALID: info(401, 'invalid_token', true),
  ERR_TOKEN_REVOKED: info(401, 'invalid_token'),
  ERR_M2M_DISABLED: info(401, 'invalid_token'),
  ERR_CREDENTIAL_KIND_NOT_ACCEPTED: info(401, 'invalid_token'),
  // Authorization (403 insufficient_scope)
  ERR_INSUFFICIENT_SCOPE: info(403, 'insufficient_scope'),
  // Too many failures from one client (sidecar abuse limit)
  ERR_RATE_LIMITED: info(429),
  // The IdP could not answer (503 + Retry-After; never 401, never cached)
  ERR_IDP_UNAVAILABLE: info(503),
  ERR_IDP_OVERLOADED: info(503),
  ERR_IDP_RESPONSE_INVALID: info(503),
  ERR_IDP_AUTH_REFUSED: info(503),
  ERR_JWKS_UNAVAILABLE: info(503),
  ERR_POLICY_UNKNOWN: info(503),
  ERR_NOT_READY: info(503),
  // Shared store (Redis) failures surfaced to webhook senders
  ERR_STORE_UNAVAILABLE: info(503),
  // Webhook receivers
  ERR_WEBHOOK_SIGNATURE_INVALID: info(401),
  ERR_WEBHOOK_TIMESTAMP_STALE: info(401),
  ERR_WEBHOOK_SOURCE_FORBIDDEN: info(403),
  ERR_WEBHOOK_BODY_TOO_LARGE: info(413),
  ERR_WEBHOOK_BODY_INVALID: info(400),
  ERR_WEBHOOK_BODY_CONSUMED: info(500),
  // Programmer / operator errors (thrown at construction, never on the request path)
  ERR_INVALID_OPTION: info(500),
  ERR_CLOSED: info(503),
  ERR_INTERNAL: info(500),
} satisfies Record<string, ErrorCodeInfo>);

export type ErrorCode = keyof typeof ERROR_CODES;

export interface PortcullisErrorOptions {
  readonly cause?: unknown;
  /** Seconds for `Retry-After` (503 and 429 answers). */
  readonly retryAfterSec?: number;
  /** Safe, non-secret facts for callers and logs (e.g. `{ missing: ['orders:write'] }`). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class Portcullis throws for anything a caller may handle. Switch on `code`.
 * Messages are safe to send to clients: they never contain a secret or a token.
 */
export class PortcullisError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly oauthError: OAuthErrorCode | undefined;
  /** May be negative-cached (the credential's own fault). */
  readonly negative: boolean;
  readonly retryAfterSec: number | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: PortcullisErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const meta = ERROR_CODES[code];
    this.name = 'PortcullisError';
    this.code = code;
    this.status = meta.status;
    this.oauthError = meta.oauthError;
    this.negative = meta.negative;
    this.retryAfterSec =
      options.retryAfterSec ?? (meta.status === 503 || meta.status === 429 ? 1 : undefined);
    this.details =
      options.details === undefined ? undefined : Object.freeze({ ...options.details });
  }

  /** JSON body for HTTP answers: `{error, error_description, code}`. */
  toJSON(): { error: string; error_description: string; code: ErrorCode } {
    return {
      error: this.oauthError ?? defaultErrorName(this.status),
      error_description: this.message,
      code: this.code,
    };
  }
}

function defaultErrorName(status: number): string {
  if (status === 401) return 'unauthorized';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'too_many_requests';
  if (status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  return 'invalid_request';
}

/** True for any PortcullisError, also across duplicated copies of this package. */
export function isPortcullisError(value: unknown): value is PortcullisError {
  return (
    value instanceof PortcullisError ||
    (value instanceof Error &&
      (value as { name?: unknown }).name === 'PortcullisError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      Object.hasOwn(ERROR_CODES, (value as unknown as { code: string }).code))
  );
}

/** Throws `ERR_INVALID_OPTION` naming the option; used by every factory's validation. */
export function invalidOption(path: string, problem: string): never {
  throw new PortcullisError('ERR_INVALID_OPTION', `option ${path} ${problem}`, {
    details: { option: path },
  });
}
