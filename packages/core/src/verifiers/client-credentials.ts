/**
 * Basic client credentials → RFC 6749 §4.4 token request at the IdP (`client_secret_basic`), then
 * the returned access token goes through the bearer pipeline the caller supplies (JWT or
 * introspection). The principal is the bearer pipeline's, marked `client_credentials`.
 */
import type { Dispatcher } from 'undici';
import { PortcullisError, invalidOption, isPortcullisError } from '../errors.js';
import { clientSecretBasic } from '../http/idp-client-auth.js';
import { idpRequest } from '../http/idp-request.js';
import type { VerifiedCredential } from '../provider.js';
import type { Logger, Principal } from '../types.js';
import {
  functionOption,
  idpCallOptions,
  nonEmptyString,
  stringList,
  urlOption,
} from './option-checks.js';

export interface ClientCredentialsVerifierOptions {
  /** The IdP's token endpoint (http/https). */
  readonly tokenEndpoint: string | URL;
  /** The bearer pipeline: verifies the access token the IdP returned. */
  readonly verifyAccessToken: (
    token: string,
    signal: AbortSignal | undefined,
  ) => Promise<VerifiedCredential>;
  /** `scope` parameter of the token request (joined with spaces). Default: none. */
  readonly scope?: string | readonly string[] | undefined;
  /** `resource` parameter(s) (RFC 8707). Default: none. */
  readonly resource?: string | readonly string[] | undefined;
  /** `audience` parameter (Auth0-style IdPs). Default: none. */
  readonly audience?: string | undefined;
  /** Timeout of the token request, in ms. Default 2000. */
  readonly timeoutMs?: number | undefined;
  /** Bound on the token response, in bytes. Default 1 MiB. */
  readonly maxResponseBytes?: number | undefined;
  readonly dispatcher?: Dispatcher | undefined;
  /** Epoch ms. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  readonly logger?: Logger | undefined;
}

export interface ClientCredentialsVerifier {
  /**
   * Exchange and verify. Throws `ERR_CLIENT_CREDENTIALS_INVALID` (401) when the IdP refuses the
   * client (400/401/403, e.g. `invalid_client`), `ERR_IDP_UNAVAILABLE` on 429/5xx/timeouts,
   * `ERR_IDP_RESPONSE_INVALID` on an answer without a bearer `access_token`, or whatever the
   * bearer pipeline throws for the returned token.
   */
  verify(clientId: string, clientSecret: string, signal?: AbortSignal): Promise<VerifiedCredential>;
}

const OAUTH_ERROR_CODE = /^[a-z_]{1,64}$/;

export function createClientCredentialsVerifier(
  options: ClientCredentialsVerifierOptions,
): ClientCredentialsVerifier {
  if (options === null || typeof options !== 'object')
    invalidOption('options', 'must be an object');
  const endpoint = urlOption('tokenEndpoint', options.tokenEndpoint);
  const verifyAccessToken = functionOption('verifyAccessToken', options.verifyAccessToken);
  if (verifyAccessToken === undefined) invalidOption('verifyAccessToken', 'is required');
  const scope = stringList('scope', options.scope);
  const resource = stringList('resource', options.resource);
  const audience =
    options.audience === undefined ? undefined : nonEmptyString('audience', options.audience);
  const { timeoutMs, maxBodyBytes, now } = idpCallOptions(options);

  async function requestToken(
    clientId: string,
    clientSecret: string,
    signal: AbortSignal | undefined,
  ): Promise<{ accessToken: string; expiresInSec: number | undefined }> {
    const response = await idpRequest({
      operation: 'token',
      url: endpoint,
      method: 'POST',
      headers: { authorization: clientSecretBasic(clientId, clientSecret) },
      form: {
        grant_type: 'client_credentials',
        scope: scope?.join(' '),
        resource,
        audience,
      },
      dispatcher: options.dispatcher,
      timeoutMs,
      maxBodyBytes,
      signal,
      now,
    });
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      const idpError = (response.body as { error?: unknown } | undefined)?.error;
      throw new PortcullisError(
        'ERR_CLIENT_CREDENTIALS_INVALID',
        'client credentials were not accepted',
        {
          details: {
            status: response.status,
            ...(typeof idpError === 'string' && OAUTH_ERROR_CODE.test(idpError)
              ? { idpError }
              : {}),
          },
        },
      );
    }
    if (response.status !== 200) throw invalidAnswer(`answered ${response.status}`);
    const body = response.body as Record<string, unknown> | null;
    if (body === null || typeof body !== 'object') throw invalidAnswer('is not a JSON object');
    const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn } = body;
    if (typeof accessToken !== 'string' || accessToken === '')
      throw invalidAnswer('has no access_token');
    if (
      tokenType !== undefined &&
      (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')
    ) {
      throw invalidAnswer('is not a bearer token');
    }
    const expiresInSec = typeof expiresIn === 'number' && expiresIn >= 0 ? expiresIn : undefined;
    return { accessToken, expiresInSec };
  }

  return {
    async verify(clientId, clientSecret, signal) {
      const { accessToken, expiresInSec } = await requestToken(clientId, clientSecret, signal);
      let verified: VerifiedCredential;
      try {
        verified = await verifyAccessToken(accessToken, signal);
      } catch (error) {
        if (isPortcullisError(error) && error.negative) {
          options.logger?.warn(
            { operation: 'token', code: error.code },
            'the IdP issued a token for these client credentials that does not verify here',
          );
        }
        throw error;
      }
      const principal = asClientCredentials(verified.principal, clientId);
      const caps = [
        verified.maxTtlMs,
        expiresInSec === undefined ? undefined : expiresInSec * 1000,
      ].filter((value): value is number => value !== undefined);
      return caps.length === 0
        ? { principal, checkedOnline: true }
        : { principal, checkedOnline: true, maxTtlMs: Math.min(...caps) };
    },
  };
}

/**
 * The secret was just checked by the IdP, so the principal is a client credential of exactly the
 * client that authenticated; a token naming another client is refused.
 */
function asClientCredentials(principal: Principal, clientId: string): Principal {
  if (principal.clientId !== undefined && principal.clientId !== clientId) {
    throw invalidAnswer('names another client than the one that authenticated');
  }
  return Object.freeze({ ...principal, clientId, credential: 'client_credentials' });
}

function invalidAnswer(what: string): PortcullisError {
  return new PortcullisError(
    'ERR_IDP_RESPONSE_INVALID',
    `identity provider token endpoint ${what}`,
    {
      details: { operation: 'token' },
    },
  );
}
