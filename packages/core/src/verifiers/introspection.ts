/**
 * RFC 7662 token introspection: the IdP tells us whether an (opaque) token is active right now.
 * The resource server authenticates itself with its own client id and secret.
 */
import type { Dispatcher } from 'undici';
import { PortcullisError, invalidOption } from '../errors.js';
import { clientSecretBasic } from '../http/idp-client-auth.js';
import { idpRequest } from '../http/idp-request.js';
import {
  checkClaimNames,
  credentialKindFromClaims,
  mapClaimsToPrincipal,
} from '../principal/claims.js';
import type { ClaimNames, MapClaimsOptions } from '../principal/claims.js';
import type { VerifiedCredential } from '../provider.js';
import type { CredentialKind, Logger } from '../types.js';
import {
  functionOption,
  idpCallOptions,
  nonEmptyString,
  numberOption,
  stringList,
  urlOption,
} from './option-checks.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface IntrospectionVerifierOptions {
  /** The IdP's RFC 7662 endpoint (http/https). */
  readonly introspectionEndpoint: string | URL;
  /** The resource server's own client id at the IdP. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default `client_secret_basic`. */
  readonly clientAuthMethod?: ClientAuthMethod | undefined;
  /** Sent as `token_type_hint`. Default `access_token`; `false` sends none. */
  readonly tokenTypeHint?: string | false | undefined;
  /** When set, an `iss` in the answer must equal it. Default: not checked. */
  readonly issuer?: string | undefined;
  /** When set, the answer's `aud` must contain one of these. Default: not checked. */
  readonly audience?: string | readonly string[] | undefined;
  readonly claimNames?: ClaimNames | undefined;
  readonly ownerKind?: MapClaimsOptions['ownerKind'] | undefined;
  /** Decides `principal.credential` from the claims. Default `credentialKindFromClaims`. */
  readonly credentialKind?:
    ((claims: Readonly<Record<string, unknown>>) => CredentialKind) | undefined;
  /** Clock skew allowed on `exp`/`nbf` in the answer, in seconds. Default 5. */
  readonly clockToleranceSec?: number | undefined;
  /** Timeout of one call, in ms. Default 2000. */
  readonly timeoutMs?: number | undefined;
  /** Bound on the answer, in bytes. Default 1 MiB. */
  readonly maxResponseBytes?: number | undefined;
  readonly dispatcher?: Dispatcher | undefined;
  /** Epoch ms. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  readonly logger?: Logger | undefined;
}

export interface IntrospectionVerifier {
  /**
   * Introspect and map to a principal (`checkedOnline: true`, `maxTtlMs` until `exp`).
   * Throws `ERR_TOKEN_INACTIVE`, `ERR_TOKEN_EXPIRED`, `ERR_TOKEN_NOT_YET_VALID`,
   * `ERR_TOKEN_CLAIM_INVALID`, or 503-class `ERR_IDP_UNAVAILABLE` / `ERR_IDP_RESPONSE_INVALID`.
   */
  verify(token: string, signal?: AbortSignal): Promise<VerifiedCredential>;
  /** The active answer's claims, checked (`active`, `exp`, `nbf`, `iss`, `aud`) but not mapped. */
  introspect(token: string, signal?: AbortSignal): Promise<Readonly<Record<string, unknown>>>;
}

export function createIntrospectionVerifier(
  options: IntrospectionVerifierOptions,
): IntrospectionVerifier {
  if (options === null || typeof options !== 'object')
    invalidOption('options', 'must be an object');
  const endpoint = urlOption('introspectionEndpoint', options.introspectionEndpoint);
  const clientId = nonEmptyString('clientId', options.clientId);
  const clientSecret = nonEmptyString('clientSecret', options.clientSecret);
  const authMethod = options.clientAuthMethod ?? 'client_secret_basic';
  if (authMethod !== 'client_secret_basic' && authMethod !== 'client_secret_post') {
    invalidOption('clientAuthMethod', 'must be client_secret_basic or client_secret_post');
  }
  const hint = options.tokenTypeHint ?? 'access_token';
  if (hint !== false && (typeof hint !== 'string' || hint === '')) {
    invalidOption('tokenTypeHint', 'must be a non-empty string or false');
  }
  const issuer =
    options.issuer === undefined ? undefined : nonEmptyString('issuer', options.issuer);
  const audience = stringList('audience', options.audience);
  const claimNames = checkClaimNames('claimNames', options.claimNames);
  const credentialKind =
    functionOption('credentialKind', options.credentialKind) ?? credentialKindFromClaims;
  const toleranceSec = numberOption('clockToleranceSec', options.clockToleranceSec, 5);
  const { timeoutMs, maxBodyBytes, now } = idpCallOptions(options);

  async function introspect(
    token: string,
    signal?: AbortSignal,
  ): Promise<Readonly<Record<string, unknown>>> {
    const response = await idpRequest({
      operation: 'introspection',
      url: endpoint,
      method: 'POST',
      form: {
        token,
        token_type_hint: hint === false ? undefined : hint,
        ...(authMethod === 'client_secret_post'
          ? { client_id: clientId, client_secret: clientSecret }
          : {}),
      },
      headers:
        authMethod === 'client_secret_basic'
          ? { authorization: clientSecretBasic(clientId, clientSecret) }
          : {},
      dispatcher: options.dispatcher,
      timeoutMs,
      maxBodyBytes,
      signal,
      now,
    });
    if (response.status !== 200) {
      const refused = response.status === 401 || response.status === 403;
      if (refused) {
        options.logger?.error(
          { operation: 'introspection', status: response.status },
          'introspection endpoint refused our client authentication: check clientId/clientSecret',
        );
      }
      throw new PortcullisError(
        refused ? 'ERR_IDP_UNAVAILABLE' : 'ERR_IDP_RESPONSE_INVALID',
        `identity provider introspection call answered ${response.status}`,
        { details: { operation: 'introspection', status: response.status } },
      );
    }
    const body = response.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw invalidAnswer('is not a JSON object');
    }
    const claims = body as Record<string, unknown>;
    if (typeof claims['active'] !== 'boolean')
      throw invalidAnswer('has no boolean "active" member');
    if (!claims['active']) throw new PortcullisError('ERR_TOKEN_INACTIVE', 'token is not active');
    checkTimes(claims, now() / 1000, toleranceSec);
    if (issuer !== undefined && claims['iss'] !== undefined && claims['iss'] !== issuer) {
      throw claimMismatch('iss');
    }
    if (audience !== undefined && !audienceMatches(claims['aud'], audience))
      throw claimMismatch('aud');
    return claims;
  }

  return {
    introspect,
    async verify(token, signal) {
      const claims = await introspect(token, signal);
      const principal = mapClaimsToPrincipal(claims, {
        credential: credentialKind(claims),
        ...(claimNames === undefined ? {} : { claimNames }),
        ...(options.ownerKind === undefined ? {} : { ownerKind: options.ownerKind }),
      });
      const exp = claims['exp'];
      return typeof exp === 'number'
        ? { principal, checkedOnline: true, maxTtlMs: Math.max(0, exp * 1000 - now()) }
        : { principal, checkedOnline: true };
    },
  };
}

function checkTimes(
  claims: Readonly<Record<string, unknown>>,
  nowSec: number,
  toleranceSec: number,
): void {
  const { exp, nbf } = claims;
  if (exp !== undefined && typeof exp !== 'number') throw invalidAnswer('has a non-numeric "exp"');
  if (nbf !== undefined && typeof nbf !== 'number') throw invalidAnswer('has a non-numeric "nbf"');
  if (typeof exp === 'number' && exp <= nowSec - toleranceSec) {
    throw new PortcullisError('ERR_TOKEN_EXPIRED', 'token has expired', {
      details: { claim: 'exp' },
    });
  }
  if (typeof nbf === 'number' && nbf > nowSec + toleranceSec) {
    throw new PortcullisError('ERR_TOKEN_NOT_YET_VALID', 'token is not valid yet', {
      details: { claim: 'nbf' },
    });
  }
}

function audienceMatches(aud: unknown, expected: readonly string[]): boolean {
  if (typeof aud === 'string') return expected.includes(aud);
  return (
    Array.isArray(aud) && aud.some((item) => typeof item === 'string' && expected.includes(item))
  );
}

function claimMismatch(claim: string): PortcullisError {
  return new PortcullisError(
    'ERR_TOKEN_CLAIM_INVALID',
    `token claim "${claim}" does not have the expected value`,
    {
      details: { claim },
    },
  );
}

function invalidAnswer(what: string): PortcullisError {
  return new PortcullisError(
    'ERR_IDP_RESPONSE_INVALID',
    `identity provider introspection answer ${what}`,
    {
      details: { operation: 'introspection' },
    },
  );
}
