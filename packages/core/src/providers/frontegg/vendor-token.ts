/**
 * The vendor (environment) token for Frontegg's vendor routes: `POST {baseUrl}/auth/vendor`
 * `{clientId, secret}` → `{token, expiresIn}` (frontegg-wire.md §5), sent as `x-access-token`.
 * Refreshed after `refreshRatio` of its life (Frontegg's SDKs use 0.8); one authentication in
 * flight at a time; a 401 from a vendor route forces one re-authentication and one retry.
 */
import { PortcullisError } from '../../errors.js';
import type { FronteggAnswer, FronteggSend } from './http.js';

export interface VendorTokenClientOptions {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly apiKey: string;
  /** Share of the token's life after which it is renewed (0–1). */
  readonly refreshRatio: number;
  readonly send: FronteggSend;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** One call to a vendor route (path relative to `baseUrl`). */
export interface VendorCall {
  readonly operation: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  /** Statuses handed back to the caller instead of being turned into errors. */
  readonly passStatuses?: readonly number[];
  /** Bound on the answer, in bytes. */
  readonly maxBodyBytes?: number;
}

export interface VendorTokenClient {
  /** Calls a vendor route with the vendor token. */
  call(request: VendorCall): Promise<FronteggAnswer>;
  /** True while a usable vendor token is held (health). */
  hasToken(): boolean;
  /** Resolves once a usable vendor token is held (authenticates when none is). */
  ensureToken(signal: AbortSignal): Promise<void>;
}

interface HeldToken {
  readonly token: string;
  readonly refreshAt: number;
  readonly expiresAt: number;
}

const MAX_TOKEN_CHARS = 16_384;
/** Frontegg's vendor tokens live a day; anything outside (0, 30 days] is a broken answer. */
const MAX_EXPIRES_IN_SEC = 30 * 24 * 60 * 60;

export function createVendorTokenClient(options: VendorTokenClientOptions): VendorTokenClient {
  let held: HeldToken | undefined;
  let pending: Promise<HeldToken> | undefined;

  async function authenticate(signal: AbortSignal): Promise<HeldToken> {
    const answer = await options.send({
      operation: 'frontegg-vendor-auth',
      method: 'POST',
      url: `${options.baseUrl}/auth/vendor`,
      json: { clientId: options.clientId, secret: options.apiKey },
      signal,
      passStatuses: [400, 401, 403, 404],
    });
    if (answer.status !== 200 && answer.status !== 201) {
      // Wrong vendor credentials are an operator problem; callers cannot be verified meanwhile.
      throw new PortcullisError(
        'ERR_IDP_AUTH_REFUSED',
        `Frontegg vendor authentication was refused (${answer.status}); check clientId and apiKey`,
      );
    }
    const body = answer.body as { token?: unknown; expiresIn?: unknown } | null;
    const token = body?.token;
    const expiresIn = body?.expiresIn;
    if (
      typeof token !== 'string' ||
      token === '' ||
      token.length > MAX_TOKEN_CHARS ||
      typeof expiresIn !== 'number' ||
      !(expiresIn > 0 && expiresIn <= MAX_EXPIRES_IN_SEC)
    ) {
      throw new PortcullisError(
        'ERR_IDP_RESPONSE_INVALID',
        'Frontegg vendor authentication answered without a usable token',
      );
    }
    const at = options.now();
    return {
      token,
      refreshAt: at + expiresIn * 1000 * options.refreshRatio,
      expiresAt: at + expiresIn * 1000,
    };
  }

  function renew(signal: AbortSignal): Promise<HeldToken> {
    // Single flight: concurrent callers share one authentication (bounded by `send`'s timeout).
    pending ??= authenticate(signal)
      .then((fresh) => {
        held = fresh;
        return fresh;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  }

  async function currentToken(signal: AbortSignal, force: boolean): Promise<string> {
    const at = options.now();
    if (!force && held !== undefined && at < held.refreshAt) return held.token;
    try {
      return (await renew(signal)).token;
    } catch (error) {
      // Past the refresh point but not expired: keep serving with the old token.
      if (!force && held !== undefined && options.now() < held.expiresAt) return held.token;
      throw error;
    }
  }

  async function send(request: VendorCall, token: string): Promise<FronteggAnswer> {
    return options.send({
      operation: request.operation,
      method: request.method,
      url: `${options.baseUrl}${request.path}`,
      headers: { ...request.headers, 'x-access-token': token },
      signal: request.signal,
      passStatuses: [...new Set([401, ...(request.passStatuses ?? [])])],
      ...(request.maxBodyBytes === undefined ? {} : { maxBodyBytes: request.maxBodyBytes }),
    });
  }

  return {
    async call(request) {
      const token = await currentToken(request.signal, false);
      const answer = await send(request, token);
      if (answer.status !== 401) return answer;
      // The token was revoked or rotated early: authenticate once more, then give up.
      if (held?.token === token) held = undefined;
      // Another caller may already have renewed it; otherwise join or start one renewal.
      const renewed = held?.token ?? (await currentToken(request.signal, true));
      const retried = await send(request, renewed);
      if (retried.status === 401) {
        throw new PortcullisError(
          'ERR_IDP_UNAVAILABLE',
          `Frontegg refused the vendor token on ${request.operation}`,
        );
      }
      return retried;
    },
    hasToken() {
      return held !== undefined && options.now() < held.expiresAt;
    },
    async ensureToken(signal) {
      await currentToken(signal, false);
    },
  };
}
