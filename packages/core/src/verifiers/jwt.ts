/**
 * JWT verification with keys we manage: a remote JWKS (fetched by us, see `jwks-remote.ts`),
 * a static JWK set, one PEM (SPKI) public key, or — only when asked for explicitly — a shared
 * HMAC secret. jose does the cryptography and the claim checks; this module decides policy.
 *
 * Header parameters that point at keys (`jku`, `x5u`, `jwk`, `x5c`) are never used: keys come
 * only from the configured source. Unknown `crit` parameters are rejected (jose).
 */
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type {
  CryptoKey,
  JSONWebKeySet,
  JWTHeaderParameters,
  JWTPayload,
  JWTVerifyOptions,
} from 'jose';
import type { Dispatcher } from 'undici';
import { PortcullisError, invalidOption } from '../errors.js';
import { DEFAULT_IDP_TIMEOUT_MS } from '../http/idp-request.js';
import type { ComponentHealth, Logger } from '../types.js';
import { createRemoteKeySet } from './jwks-remote.js';
import type { KeyResolver, RemoteKeySet } from './jwks-remote.js';
import { claimInvalid, mapJwtError } from './jwt-errors.js';
import { expectedValues, functionOption, numberOption, urlOption } from './option-checks.js';

/** Default `alg` allow-list: asymmetric only. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256',
  'PS256',
  'ES256',
  'EdDSA',
]);

const ASYMMETRIC_ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);
const SYMMETRIC_ALGORITHMS = new Set(['HS256', 'HS384', 'HS512']);
/** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
const MIN_SECRET_BYTES = 32;

export interface JwtVerifierOptions {
  /**
   * Key source — exactly one of `jwksUri`, `jwks`, `publicKeyPem`, `secret`.
   * `jwksUri`: the IdP's JWKS endpoint (http/https), fetched and cached by us.
   */
  readonly jwksUri?: string | URL | undefined;
  /** A static JWK set (public keys). */
  readonly jwks?: JSONWebKeySet | undefined;
  /** One PEM-encoded SPKI public key (`-----BEGIN PUBLIC KEY-----`). */
  readonly publicKeyPem?: string | undefined;
  /**
   * A shared HMAC secret (≥ 32 bytes). The only way HS256/384/512 are ever accepted; with a
   * secret, `algorithms` must be HS* only (default `['HS256']`).
   */
  readonly secret?: string | Uint8Array | undefined;
  /**
   * `alg` allow-list. Default `['RS256','PS256','ES256','EdDSA']`. `none` is never accepted, and
   * HS* is refused with any public-key source (it would let the public key act as an HMAC secret).
   */
  readonly algorithms?: readonly string[] | undefined;
  /** Expected `iss` (one or several). Required: pass `false` to explicitly skip the issuer check. */
  readonly issuer: string | readonly string[] | false;
  /** Expected `aud` (any of them must appear). Required: pass `false` to explicitly skip the audience check. */
  readonly audience: string | readonly string[] | false;
  /** Expected `typ` header (e.g. `at+jwt`, RFC 9068). Default: not checked. */
  readonly typ?: string | undefined;
  /** Allowed clock skew for `exp`/`nbf`, in seconds. Default 5. */
  readonly clockToleranceSec?: number | undefined;
  /**
   * Marks tokens whose liveness the caller checks online (e.g. a provider's revocable token
   * `type`): for them `exp` may be absent. Receives the verified payload and header. Default: none.
   */
  readonly isCheckedOnline?:
    ((payload: JWTPayload, header: JWTHeaderParameters) => boolean) | undefined;
  /** Epoch ms. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Remote JWKS: minimum time between refetches caused by an unknown `kid`, in ms. Default 30 000. */
  readonly cooldownMs?: number | undefined;
  /** Remote JWKS: how long fetched keys are fresh, in ms. Default 600 000 (10 min). */
  readonly cacheMaxAgeMs?: number | undefined;
  /**
   * Remote JWKS: while the endpoint fails, keys are still used until they are this old, in ms.
   * Default 3 600 000 (1 h); must be ≥ `cacheMaxAgeMs`. Past it: `ERR_JWKS_UNAVAILABLE` (503).
   */
  readonly staleKeysMaxAgeMs?: number | undefined;
  /** Remote JWKS: after a failed fetch, no new attempt for this long, in ms. Default 1000. */
  readonly fetchRetryMs?: number | undefined;
  /** Remote JWKS: timeout of one fetch, in ms. Default 2000. */
  readonly timeoutMs?: number | undefined;
  /** Remote JWKS: bound on the JWKS response, in bytes. Default 262 144 (256 KiB). */
  readonly maxJwksBytes?: number | undefined;
  /** Remote JWKS: undici dispatcher. Default: undici's global dispatcher. */
  readonly dispatcher?: Dispatcher | undefined;
  readonly logger?: Logger | undefined;
}

export interface JwtVerifyCallOptions {
  /** Overrides `isCheckedOnline` for this call: `false` when the caller checks this token online. */
  readonly requireExp?: boolean | undefined;
}

export interface JwtVerifyResult {
  readonly payload: JWTPayload;
  readonly protectedHeader: JWTHeaderParameters;
}

export interface JwtVerifier {
  /**
   * Verify signature and claims. Throws `PortcullisError`: `ERR_TOKEN_MALFORMED`,
   * `ERR_TOKEN_ALG_NOT_ALLOWED`, `ERR_TOKEN_SIGNATURE_INVALID`, `ERR_TOKEN_EXPIRED`,
   * `ERR_TOKEN_NOT_YET_VALID`, `ERR_TOKEN_CLAIM_INVALID` (details.claim names it), or
   * `ERR_JWKS_UNAVAILABLE` (503) when no usable keys can be had.
   */
  verify(
    token: string,
    signal?: AbortSignal,
    options?: JwtVerifyCallOptions,
  ): Promise<JwtVerifyResult>;
  /** Remote JWKS: fetch the keys now (single flight). A no-op for static keys. */
  refresh(signal?: AbortSignal): Promise<void>;
  health(): ComponentHealth;
}

type KeySource =
  | { readonly kind: 'remote'; readonly keys: RemoteKeySet }
  | { readonly kind: 'resolver'; readonly resolver: KeyResolver }
  | { readonly kind: 'key'; readonly key: KeyObject | Uint8Array };

/** Build a JWT verifier. Options are validated here (`ERR_INVALID_OPTION` naming the field). */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  if (options === null || typeof options !== 'object')
    invalidOption('options', 'must be an object');
  const now = functionOption('now', options.now) ?? Date.now;
  const issuer = expectedValues('issuer', options.issuer);
  const audience = expectedValues('audience', options.audience);
  const clockToleranceSec = numberOption('clockToleranceSec', options.clockToleranceSec, 5);
  const isCheckedOnline = functionOption('isCheckedOnline', options.isCheckedOnline);
  if (options.typ !== undefined && (typeof options.typ !== 'string' || options.typ === '')) {
    invalidOption('typ', 'must be a non-empty string');
  }
  const sources = (['jwksUri', 'jwks', 'publicKeyPem', 'secret'] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (sources.length !== 1) {
    invalidOption('jwksUri', 'exactly one of jwksUri, jwks, publicKeyPem or secret must be given');
  }
  const symmetric = options.secret !== undefined;
  const algorithms = checkAlgorithms(options.algorithms, symmetric);
  const source = buildKeySource(options, now);

  const baseVerifyOptions: JWTVerifyOptions = {
    algorithms: [...algorithms],
    ...(issuer === false ? {} : { issuer: [...issuer] }),
    ...(audience === false ? {} : { audience: [...audience] }),
    ...(options.typ === undefined ? {} : { typ: options.typ }),
    clockTolerance: clockToleranceSec,
  };
  const allowed = new Set(algorithms);

  async function verifyWith(
    token: string,
    key: KeyResolver | KeyObject | Uint8Array,
  ): Promise<JwtVerifyResult> {
    const verifyOptions = { ...baseVerifyOptions, currentDate: new Date(now()) };
    try {
      const { payload, protectedHeader } = await jwtVerify(token, key, verifyOptions);
      return { payload, protectedHeader };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw error;
      // Several keys fit (no kid, or a reused kid): try each; a claim failure after a good
      // signature is the answer, a bad signature moves on to the next key.
      let last: unknown = error;
      for await (const candidate of error as AsyncIterable<CryptoKey>) {
        try {
          const { payload, protectedHeader } = await jwtVerify(token, candidate, verifyOptions);
          return { payload, protectedHeader };
        } catch (inner) {
          last = inner;
          if ((inner as { code?: unknown }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') {
            throw inner;
          }
        }
      }
      throw last;
    }
  }

  async function verifySignatureAndClaims(
    token: string,
    signal: AbortSignal | undefined,
  ): Promise<JwtVerifyResult> {
    if (source.kind === 'key') return verifyWith(token, source.key);
    if (source.kind === 'resolver') return verifyWith(token, source.resolver);
    const resolver = await source.keys.current(signal);
    try {
      return await verifyWith(token, resolver);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
      const refreshed = await source.keys.afterUnknownKid(signal);
      if (refreshed === undefined) throw error;
      return verifyWith(token, refreshed);
    }
  }

  return {
    async verify(token, signal, callOptions) {
      precheck(token, allowed);
      let result: JwtVerifyResult;
      try {
        result = await verifySignatureAndClaims(token, signal);
      } catch (error) {
        throw mapJwtError(error);
      }
      const requireExp =
        callOptions?.requireExp ??
        !(isCheckedOnline?.(result.payload, result.protectedHeader) ?? false);
      if (requireExp && result.payload.exp === undefined) {
        throw claimInvalid('exp', 'is required but missing');
      }
      return result;
    },
    async refresh(signal) {
      if (source.kind === 'remote') await source.keys.refresh(signal);
    },
    health() {
      return source.kind === 'remote' ? source.keys.health() : { status: 'ok' };
    },
  };
}

/**
 * Cheap checks before any key lookup, so junk and forbidden algorithms never cause a JWKS fetch.
 */
function precheck(token: string, allowed: ReadonlySet<string>): void {
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw new PortcullisError('ERR_TOKEN_MALFORMED', 'token is not a compact JWS');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (cause) {
    throw new PortcullisError('ERR_TOKEN_MALFORMED', 'token header is malformed', { cause });
  }
  if (typeof header.alg !== 'string' || header.alg === '') {
    throw new PortcullisError('ERR_TOKEN_MALFORMED', 'token header has no "alg"');
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw new PortcullisError('ERR_TOKEN_MALFORMED', 'token header "kid" is not a string');
  }
  // JWTs use no JWS extensions (RFC 7515 §4.1.11): any `crit` names something we do not understand.
  if (header.crit !== undefined) {
    throw new PortcullisError(
      'ERR_TOKEN_MALFORMED',
      'token has critical header parameters that are not understood',
    );
  }
  if (header.alg.toLowerCase() === 'none' || !allowed.has(header.alg)) {
    throw new PortcullisError('ERR_TOKEN_ALG_NOT_ALLOWED', 'token algorithm is not allowed', {
      details: { alg: header.alg.slice(0, 16) },
    });
  }
}

function checkAlgorithms(value: unknown, symmetric: boolean): readonly string[] {
  if (value === undefined) return symmetric ? Object.freeze(['HS256']) : DEFAULT_JWT_ALGORITHMS;
  if (!Array.isArray(value) || value.length === 0) {
    invalidOption('algorithms', 'must be a non-empty list of JWS algorithm names');
  }
  for (const alg of value as unknown[]) {
    if (typeof alg !== 'string') invalidOption('algorithms', 'must contain only strings');
    if (alg.toLowerCase() === 'none') invalidOption('algorithms', 'must not contain "none"');
    if (symmetric && !SYMMETRIC_ALGORITHMS.has(alg)) {
      invalidOption('algorithms', `may only contain HS256/HS384/HS512 with a secret (got ${alg})`);
    }
    if (!symmetric && SYMMETRIC_ALGORITHMS.has(alg)) {
      invalidOption(
        'algorithms',
        `must not contain ${alg} with public keys (HS* needs the secret option)`,
      );
    }
    if (!symmetric && !ASYMMETRIC_ALGORITHMS.has(alg)) {
      invalidOption('algorithms', `contains an unsupported algorithm (${alg})`);
    }
  }
  return Object.freeze([...(value as string[])]);
}

function buildKeySource(options: JwtVerifierOptions, now: () => number): KeySource {
  if (options.jwksUri !== undefined) {
    const cacheMaxAgeMs = numberOption('cacheMaxAgeMs', options.cacheMaxAgeMs, 600_000);
    const staleKeysMaxAgeMs = numberOption(
      'staleKeysMaxAgeMs',
      options.staleKeysMaxAgeMs,
      3_600_000,
    );
    if (staleKeysMaxAgeMs < cacheMaxAgeMs)
      invalidOption('staleKeysMaxAgeMs', 'must be ≥ cacheMaxAgeMs');
    return {
      kind: 'remote',
      keys: createRemoteKeySet({
        jwksUri: urlOption('jwksUri', options.jwksUri),
        cooldownMs: numberOption('cooldownMs', options.cooldownMs, 30_000),
        cacheMaxAgeMs,
        staleKeysMaxAgeMs,
        fetchRetryMs: numberOption('fetchRetryMs', options.fetchRetryMs, 1000),
        timeoutMs: numberOption('timeoutMs', options.timeoutMs, DEFAULT_IDP_TIMEOUT_MS, { min: 1 }),
        maxBytes: numberOption('maxJwksBytes', options.maxJwksBytes, 256 * 1024, {
          min: 1,
          integer: true,
        }),
        dispatcher: options.dispatcher,
        now,
        logger: options.logger,
      }),
    };
  }
  if (options.jwks !== undefined) {
    const jwks = options.jwks as unknown as { keys?: unknown };
    if (
      !Array.isArray(jwks.keys) ||
      jwks.keys.some((key) => (key as { d?: unknown })?.d !== undefined)
    ) {
      invalidOption('jwks', 'must be a JWK set of public keys ({ keys: [...] })');
    }
    if ((jwks.keys as { kty?: unknown }[]).some((key) => key?.kty === 'oct')) {
      invalidOption('jwks', 'must not contain symmetric (oct) keys; use the secret option');
    }
    try {
      return { kind: 'resolver', resolver: createLocalJWKSet(options.jwks) };
    } catch {
      return invalidOption('jwks', 'is not a valid JWK set');
    }
  }
  if (options.publicKeyPem !== undefined) {
    const pem = options.publicKeyPem;
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----')) {
      invalidOption('publicKeyPem', 'must be a PEM-encoded SPKI public key (BEGIN PUBLIC KEY)');
    }
    try {
      return { kind: 'key', key: createPublicKey(pem) };
    } catch {
      return invalidOption('publicKeyPem', 'could not be parsed as a public key');
    }
  }
  const secret =
    typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  if (!(secret instanceof Uint8Array) || secret.byteLength < MIN_SECRET_BYTES) {
    invalidOption('secret', `must be a string or bytes of at least ${MIN_SECRET_BYTES} bytes`);
  }
  return { kind: 'key', key: new Uint8Array(secret) };
}
