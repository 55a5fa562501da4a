/**
 * `oauth2(options)`: a provider preset for any OAuth 2.0 / OpenID Connect authorization server.
 * Endpoints come from discovery (RFC 8414, then OIDC) unless given explicitly; JWT access tokens
 * are verified against the JWKS, opaque ones by introspection, Basic client credentials by a
 * client_credentials exchange at the token endpoint.
 */
import { PortcullisError, invalidOption } from '../errors.js';
import { DEFAULT_IDP_TIMEOUT_MS } from '../http/idp-request.js';
import {
  checkClaimNames,
  credentialKindFromClaims,
  mapClaimsToPrincipal,
} from '../principal/claims.js';
import type { ClaimNames, MapClaimsOptions } from '../principal/claims.js';
import type { Provider, ProviderContext, VerifiedCredential } from '../provider.js';
import type { ComponentHealth, CredentialKind, ExtractedCredential, Logger } from '../types.js';
import { createClientCredentialsVerifier } from '../verifiers/client-credentials.js';
import type { ClientCredentialsVerifier } from '../verifiers/client-credentials.js';
import { createIntrospectionVerifier } from '../verifiers/introspection.js';
import type { ClientAuthMethod, IntrospectionVerifier } from '../verifiers/introspection.js';
import { createJwtVerifier } from '../verifiers/jwt.js';
import type { JwtVerifier, JwtVerifierOptions } from '../verifiers/jwt.js';
import {
  expectedValues,
  functionOption,
  nonEmptyString,
  numberOption,
  stringList,
  urlOption,
} from '../verifiers/option-checks.js';
import { createDiscoveryCache } from './discovery.js';
import type { AuthorizationServerMetadata, DiscoveryCache } from './discovery.js';

export interface OAuth2ProviderOptions {
  /** The authorization server's issuer identifier (URL). Tokens' `iss` must match; discovery starts here. */
  readonly issuer: string;
  /** Expected `aud` of JWT access tokens. Required: pass `false` to explicitly skip the audience check. */
  readonly audience: string | readonly string[] | false;
  /** Discover endpoints from `issuer` (RFC 8414, then OIDC). Default true. Explicit URLs below win. */
  readonly discovery?: boolean;
  readonly jwksUri?: string;
  readonly tokenEndpoint?: string;
  readonly introspectionEndpoint?: string;
  /**
   * The resource server's own client at the IdP, for RFC 7662 introspection of opaque tokens.
   * Without it, opaque tokens are refused (`ERR_TOKEN_MALFORMED`).
   */
  readonly introspection?: {
    readonly clientId: string;
    readonly clientSecret: string;
    /** Default `client_secret_basic`. */
    readonly clientAuthMethod?: ClientAuthMethod;
    /** Default `access_token`; `false` sends none. */
    readonly tokenTypeHint?: string | false;
  };
  /** Also introspect JWT access tokens (so revoked JWTs are refused; `checkedOnline`). Default false. */
  readonly introspectJwts?: boolean;
  /**
   * Basic client credentials (RFC 6749 §4.4 exchange). Default `{}` (enabled, no extra parameters);
   * `false` refuses Basic with `ERR_CREDENTIAL_KIND_NOT_ACCEPTED`.
   */
  readonly clientCredentials?:
    | false
    | {
        readonly scope?: string | readonly string[];
        readonly resource?: string | readonly string[];
        readonly audience?: string;
      };
  /** JWT `alg` allow-list. Default `['RS256','PS256','ES256','EdDSA']`; HS* is refused. */
  readonly algorithms?: readonly string[];
  /** Expected JWT `typ` header (e.g. `at+jwt`). Default: not checked. */
  readonly typ?: string;
  readonly claimNames?: ClaimNames;
  readonly ownerKind?: MapClaimsOptions['ownerKind'];
  /**
   * Decides `principal.credential` for Bearer / X-API-Key tokens from their claims. Default: the
   * rule of `credentialKindFromClaims` — `client_credentials` when `grant_type`/`gty` says so,
   * else `access_token`. Basic credentials are always `client_credentials`.
   */
  readonly credentialKind?: (claims: Readonly<Record<string, unknown>>) => CredentialKind;
  /** Remote JWKS caching (ms): cooldown 30 000, fresh 600 000, stale 3 600 000, retry 1000. */
  readonly jwksCache?: {
    readonly cooldownMs?: number;
    readonly cacheMaxAgeMs?: number;
    readonly staleKeysMaxAgeMs?: number;
    readonly fetchRetryMs?: number;
    /** Bound on the JWKS response, in bytes. Default 262 144. */
    readonly maxBytes?: number;
  };
  /** Provider name (logs, health). Default `oauth2`. */
  readonly name?: string;
}

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

interface Verifiers {
  readonly jwt: JwtVerifier | undefined;
  readonly introspection: IntrospectionVerifier | undefined;
  readonly clientCredentials: ClientCredentialsVerifier | undefined;
  readonly issuer: string;
}

/**
 * Build the preset. Options are validated here (`ERR_INVALID_OPTION` naming the field); the IdP is
 * first contacted on the first verification.
 *
 * `principal.credential`: `client_credentials` for Basic credentials (they were exchanged at the
 * token endpoint) and for tokens whose `grant_type`/`gty` claim says `client_credentials`;
 * otherwise `access_token` (override with `credentialKind`).
 */
export function oauth2(options: OAuth2ProviderOptions): Provider {
  if (options === null || typeof options !== 'object')
    invalidOption('options', 'must be an object');
  const issuerUrl = urlOption('issuer', options.issuer);
  const issuer = options.issuer;
  const audience = expectedValues('audience', options.audience);
  const name = options.name === undefined ? 'oauth2' : nonEmptyString('name', options.name);
  const discovery = options.discovery ?? true;
  if (typeof discovery !== 'boolean') invalidOption('discovery', 'must be a boolean');
  const explicit = {
    jwksUri: options.jwksUri === undefined ? undefined : urlOption('jwksUri', options.jwksUri),
    tokenEndpoint:
      options.tokenEndpoint === undefined
        ? undefined
        : urlOption('tokenEndpoint', options.tokenEndpoint),
    introspectionEndpoint:
      options.introspectionEndpoint === undefined
        ? undefined
        : urlOption('introspectionEndpoint', options.introspectionEndpoint),
  };
  const introspection = options.introspection;
  if (introspection !== undefined) {
    if (introspection === null || typeof introspection !== 'object') {
      invalidOption('introspection', 'must be an object');
    }
    nonEmptyString('introspection.clientId', introspection.clientId);
    nonEmptyString('introspection.clientSecret', introspection.clientSecret);
  }
  const introspectJwts = options.introspectJwts ?? false;
  if (typeof introspectJwts !== 'boolean') invalidOption('introspectJwts', 'must be a boolean');
  if (introspectJwts && introspection === undefined) {
    invalidOption('introspectJwts', 'needs the introspection option (client id and secret)');
  }
  const clientCredentials = options.clientCredentials ?? {};
  if (clientCredentials !== false) {
    if (clientCredentials === null || typeof clientCredentials !== 'object') {
      invalidOption('clientCredentials', 'must be an object or false');
    }
    stringList('clientCredentials.scope', clientCredentials.scope);
    stringList('clientCredentials.resource', clientCredentials.resource);
    if (clientCredentials.audience !== undefined) {
      nonEmptyString('clientCredentials.audience', clientCredentials.audience);
    }
  }
  const claimNames = checkClaimNames('claimNames', options.claimNames);
  const credentialKind =
    functionOption('credentialKind', options.credentialKind) ?? credentialKindFromClaims;
  const jwksCache = options.jwksCache ?? {};
  for (const key of [
    'cooldownMs',
    'cacheMaxAgeMs',
    'staleKeysMaxAgeMs',
    'fetchRetryMs',
    'maxBytes',
  ] as const) {
    numberOption(`jwksCache.${key}`, jwksCache[key], 0);
  }
  // Explicit URLs override discovery: Bearer tokens must not wait on (or fail with) a discovery
  // document they do not need just because Basic would need the token endpoint from it.
  const bearerNeedsDiscovery =
    explicit.jwksUri === undefined ||
    (introspection !== undefined && explicit.introspectionEndpoint === undefined);
  const basicNeedsDiscovery = clientCredentials !== false && explicit.tokenEndpoint === undefined;
  if (
    !discovery &&
    explicit.jwksUri === undefined &&
    explicit.introspectionEndpoint === undefined
  ) {
    invalidOption('jwksUri', 'or introspectionEndpoint is required when discovery is false');
  }
  if (!discovery && introspection !== undefined && explicit.introspectionEndpoint === undefined) {
    invalidOption(
      'introspectionEndpoint',
      'is required with introspection when discovery is false',
    );
  }
  const jwtOptions = (jwksUri: URL, tokenIssuer: string): JwtVerifierOptions => ({
    jwksUri,
    issuer: tokenIssuer,
    audience: audience === false ? false : [...audience],
    ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
    ...(options.typ === undefined ? {} : { typ: options.typ }),
    cooldownMs: jwksCache.cooldownMs,
    cacheMaxAgeMs: jwksCache.cacheMaxAgeMs,
    staleKeysMaxAgeMs: jwksCache.staleKeysMaxAgeMs,
    fetchRetryMs: jwksCache.fetchRetryMs,
    maxJwksBytes: jwksCache.maxBytes,
  });
  // Building a verifier validates the JWT options (algorithms, typ, cache bounds) now rather than
  // on the first request; it does no I/O. The JWKS URL may only be known after discovery.
  createJwtVerifier(
    jwtOptions(explicit.jwksUri ?? new URL('/.well-known/jwks.json', issuerUrl), issuer),
  );

  let context: Pick<
    ProviderContext,
    'dispatcher' | 'timeoutMs' | 'now' | 'clockToleranceSec' | 'logger'
  > = {
    dispatcher: undefined,
    timeoutMs: DEFAULT_IDP_TIMEOUT_MS,
    now: Date.now,
    clockToleranceSec: 5,
    logger: SILENT,
  };
  const discoveryCache: DiscoveryCache = createDiscoveryCache(issuer, () => ({
    dispatcher: context.dispatcher,
    timeoutMs: context.timeoutMs,
    now: context.now,
  }));
  let verifiers: Verifiers | undefined;
  /** Built without discovery while only Bearer tokens have been seen and their URLs are explicit. */
  let bearerOnly: Verifiers | undefined;
  let closed = false;

  function mapPrincipal(claims: Readonly<Record<string, unknown>>) {
    return mapClaimsToPrincipal(claims, {
      credential: credentialKind(claims),
      ...(claimNames === undefined ? {} : { claimNames }),
      ...(options.ownerKind === undefined ? {} : { ownerKind: options.ownerKind }),
    });
  }

  function buildVerifiers(metadata: AuthorizationServerMetadata | undefined): Verifiers {
    const shared = {
      dispatcher: context.dispatcher,
      timeoutMs: context.timeoutMs,
      now: context.now,
    };
    const jwksUri = explicit.jwksUri ?? metadata?.jwksUri;
    const tokenIssuer = metadata?.issuer ?? issuer;
    const introspectionEndpoint = explicit.introspectionEndpoint ?? metadata?.introspectionEndpoint;
    const tokenEndpoint = explicit.tokenEndpoint ?? metadata?.tokenEndpoint;
    const jwt =
      jwksUri === undefined
        ? undefined
        : createJwtVerifier({
            ...jwtOptions(jwksUri, tokenIssuer),
            ...shared,
            clockToleranceSec: context.clockToleranceSec,
            logger: context.logger,
          });
    const introspector =
      introspection === undefined || introspectionEndpoint === undefined
        ? undefined
        : createIntrospectionVerifier({
            ...shared,
            ...introspection,
            introspectionEndpoint,
            issuer: tokenIssuer,
            clockToleranceSec: context.clockToleranceSec,
            logger: context.logger,
            credentialKind,
            ...(claimNames === undefined ? {} : { claimNames }),
            ...(options.ownerKind === undefined ? {} : { ownerKind: options.ownerKind }),
          });
    if (introspection !== undefined && introspector === undefined) {
      context.logger.warn(
        { provider: name },
        'no introspection endpoint found; opaque tokens are refused',
      );
    }
    const exchange =
      clientCredentials === false || tokenEndpoint === undefined
        ? undefined
        : createClientCredentialsVerifier({
            ...shared,
            ...clientCredentials,
            tokenEndpoint,
            logger: context.logger,
            verifyAccessToken: (token, signal) => verifyAccessToken(token, signal),
          });
    return { jwt, introspection: introspector, clientCredentials: exchange, issuer: tokenIssuer };
  }

  async function getVerifiers(
    signal: AbortSignal | undefined,
    purpose: 'bearer' | 'basic',
  ): Promise<Verifiers> {
    if (verifiers !== undefined) return verifiers;
    if (!discovery || (!bearerNeedsDiscovery && !basicNeedsDiscovery)) {
      verifiers ??= buildVerifiers(undefined);
      return verifiers;
    }
    if (purpose === 'bearer' && !bearerNeedsDiscovery) {
      bearerOnly ??= buildVerifiers(undefined);
      return bearerOnly;
    }
    const metadata = await discoveryCache.get(signal);
    verifiers ??= buildVerifiers(metadata);
    return verifiers;
  }

  async function verifyJwt(
    jwt: JwtVerifier,
    token: string,
    signal: AbortSignal | undefined,
    online?: IntrospectionVerifier,
  ) {
    const { payload } = await jwt.verify(
      token,
      signal,
      online === undefined ? {} : { requireExp: false },
    );
    if (online !== undefined) await online.introspect(token, signal);
    const principal = mapPrincipal(payload);
    const maxTtlMs =
      typeof payload.exp === 'number' ? Math.max(0, payload.exp * 1000 - context.now()) : undefined;
    const result: VerifiedCredential = { principal, checkedOnline: online !== undefined };
    return maxTtlMs === undefined ? result : { ...result, maxTtlMs };
  }

  async function verifyAccessToken(
    token: string,
    signal: AbortSignal | undefined,
  ): Promise<VerifiedCredential> {
    const current = await getVerifiers(signal, 'bearer');
    if (COMPACT_JWS.test(token) && current.jwt !== undefined) {
      return verifyJwt(
        current.jwt,
        token,
        signal,
        introspectJwts ? current.introspection : undefined,
      );
    }
    if (current.introspection !== undefined) return current.introspection.verify(token, signal);
    throw new PortcullisError(
      'ERR_TOKEN_MALFORMED',
      COMPACT_JWS.test(token)
        ? 'token is a JWT but no JWKS is known to verify it'
        : 'token is not a JWT and introspection is not configured',
    );
  }

  return {
    name,
    init(providerContext) {
      context = {
        dispatcher: providerContext.dispatcher,
        timeoutMs: providerContext.timeoutMs,
        now: () => providerContext.now(),
        clockToleranceSec: providerContext.clockToleranceSec,
        logger: providerContext.logger,
      };
    },
    async verify(credential: ExtractedCredential, verifyContext) {
      const { signal } = verifyContext;
      if (closed) throw new PortcullisError('ERR_CLOSED', `provider ${name} is closed`);
      if (credential.form !== 'basic') return verifyAccessToken(credential.token, signal);
      if (clientCredentials === false) {
        throw new PortcullisError(
          'ERR_CREDENTIAL_KIND_NOT_ACCEPTED',
          'Basic client credentials are not accepted by this provider',
        );
      }
      const { clientCredentials: exchange } = await getVerifiers(signal, 'basic');
      if (exchange === undefined) {
        throw new PortcullisError(
          'ERR_CREDENTIAL_KIND_NOT_ACCEPTED',
          'Basic client credentials need a token endpoint, and none is known',
        );
      }
      return exchange.verify(credential.clientId, credential.secret, signal);
    },
    health(): ComponentHealth {
      if (verifiers === undefined) {
        const error = discoveryCache.lastError;
        return error === undefined
          ? { status: 'ok', detail: 'endpoints are resolved on first use' }
          : { status: 'degraded', detail: `discovery failing (${error.code})` };
      }
      return verifiers.jwt?.health() ?? { status: 'ok' };
    },
    async close() {
      closed = true;
    },
  };
}
