/**
 * Signature and claims of Frontegg JWTs: the app domain's `/.well-known/jwks.json` (kid-aware,
 * refreshed — frontegg-wire.md §2 "Public JWKS path"), falling back to the configurations route's
 * `publicKey` PEM (what Frontegg's own SDKs verify with) when the JWKS has no matching key or
 * cannot be reached. RS256 only by default; `iss` = the app URL; `aud` one of the configured audiences (default: the vendor client ID); `exp`
 * not required for access tokens, which are checked live at the IdP instead.
 */
import type { JWTPayload } from 'jose';
import type { Dispatcher } from 'undici';
import { isPortcullisError } from '../../errors.js';
import type { PortcullisError } from '../../errors.js';
import type { ComponentHealth, Logger } from '../../types.js';
import { createJwtVerifier } from '../../verifiers/jwt.js';
import type { JwtVerifier } from '../../verifiers/jwt.js';
import { readConfigurations } from './configurations.js';
import type { ResolvedFronteggOptions } from './options.js';
import type { VendorTokenClient } from './vendor-token.js';

export interface FronteggJwtVerifierOptions {
  readonly config: ResolvedFronteggOptions;
  readonly vendor: VendorTokenClient;
  readonly dispatcher: Dispatcher | undefined;
  readonly timeoutMs: number;
  readonly clockToleranceSec: number;
  readonly now: () => number;
  readonly logger: Logger;
}

export interface FronteggJwtVerifier {
  /** Verified payload; throws the verifier's PortcullisError codes. */
  verify(token: string, signal: AbortSignal): Promise<{ payload: Record<string, unknown> }>;
  /** The configurations route's PEM, kept as the fallback key. */
  setFallbackKey(pem: string): void;
  health(): ComponentHealth;
}

/** At most one configurations read for a missing fallback key per this many ms. */
const FALLBACK_FETCH_COOLDOWN_MS = 30_000;
/** Frontegg access tokens carry no `exp` when created without one; they are checked online. */
const ONLINE_TYPES = new Set(['tenantAccessToken', 'userAccessToken']);

export function createFronteggJwtVerifier(
  options: FronteggJwtVerifierOptions,
): FronteggJwtVerifier {
  const { config } = options;
  const common = {
    algorithms: config.algorithms,
    issuer: config.issuer,
    audience: config.audience,
    clockToleranceSec: options.clockToleranceSec,
    isCheckedOnline: (payload: JWTPayload) =>
      typeof payload['type'] === 'string' && ONLINE_TYPES.has(payload['type']),
    now: options.now,
    logger: options.logger,
  };
  const jwks = createJwtVerifier({
    ...common,
    jwksUri: `${config.appUrl}/.well-known/jwks.json`,
    timeoutMs: options.timeoutMs,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  });
  let fallback: { readonly pem: string; readonly verifier: JwtVerifier } | undefined;
  let lastFallbackFetch = Number.NEGATIVE_INFINITY;
  let pendingFetch: Promise<void> | undefined;

  function setFallbackKey(pem: string): void {
    if (fallback?.pem === pem) return;
    try {
      fallback = { pem, verifier: createJwtVerifier({ ...common, publicKeyPem: pem }) };
    } catch {
      options.logger.warn(
        { provider: 'frontegg' },
        'frontegg configurations publicKey could not be used as a fallback key',
      );
    }
  }

  /**
   * Re-reads the PEM from the configurations route: when none is known yet (the JWKS failed
   * before any settings poll) or when the known one no longer matches (the key was rotated since
   * the last poll). Single flight, and at most once per cooldown.
   */
  async function reloadFallback(signal: AbortSignal): Promise<void> {
    if (pendingFetch === undefined) {
      if (options.now() - lastFallbackFetch < FALLBACK_FETCH_COOLDOWN_MS) return;
      lastFallbackFetch = options.now();
      pendingFetch = readConfigurations(options.vendor, signal)
        .then((settings) => {
          if (settings.publicKey !== undefined) setFallbackKey(settings.publicKey);
        })
        .catch(() => undefined)
        .finally(() => {
          pendingFetch = undefined;
        });
    }
    await pendingFetch;
  }

  async function verifyWithFallback(
    token: string,
    signal: AbortSignal,
    jwksError: PortcullisError,
  ): Promise<{ payload: Record<string, unknown> }> {
    if (fallback === undefined) await reloadFallback(signal);
    // With the JWKS down, the PEM's verdict is the answer; otherwise the JWKS's stands.
    const verdict = (error: unknown): unknown =>
      jwksError.code === 'ERR_JWKS_UNAVAILABLE' ? error : jwksError;
    for (let attempt = 0; ; attempt += 1) {
      const current = fallback;
      if (current === undefined) throw jwksError;
      try {
        const { payload } = await current.verifier.verify(token, signal);
        return { payload: payload };
      } catch (error) {
        const staleKey = isPortcullisError(error) && error.code === 'ERR_TOKEN_SIGNATURE_INVALID';
        if (!staleKey || attempt > 0) throw verdict(error);
        await reloadFallback(signal);
        if (fallback === current) throw verdict(error);
      }
    }
  }

  return {
    async verify(token, signal) {
      try {
        const { payload } = await jwks.verify(token, signal);
        return { payload: payload };
      } catch (error) {
        if (
          !isPortcullisError(error) ||
          (error.code !== 'ERR_JWKS_UNAVAILABLE' && error.code !== 'ERR_TOKEN_SIGNATURE_INVALID')
        ) {
          throw error;
        }
        return verifyWithFallback(token, signal, error);
      }
    },
    setFallbackKey,
    health() {
      const keys = jwks.health();
      if (keys.status === 'ok' || fallback === undefined) return keys;
      return {
        status: 'degraded',
        detail: `JWKS ${keys.status}; verifying with the configurations publicKey`,
      };
    },
  };
}
