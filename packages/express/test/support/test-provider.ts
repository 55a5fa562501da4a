/**
 * A real `Provider` for the express tests: verifies RS256 JWTs with jose against the test IdP's
 * public key and exchanges client credentials at its token endpoint over HTTP. Errors are the
 * PortcullisErrors a production preset produces, so the middleware sees realistic failures.
 */
import { errors as joseErrors, jwtVerify } from 'jose';
import { PortcullisError } from '@portcullis/core';
import type {
  ExtractedCredential,
  Principal,
  Provider,
  VerifiedCredential,
  VerifyContext,
} from '@portcullis/core';
import type { TestIdp } from './test-idp.js';

export class TestProvider implements Provider {
  readonly name = 'test';
  readonly #idp: TestIdp;

  constructor(idp: TestIdp) {
    this.#idp = idp;
  }

  async verify(
    credential: ExtractedCredential,
    context: VerifyContext,
  ): Promise<VerifiedCredential> {
    const token =
      credential.form === 'basic'
        ? await this.#exchange(credential.clientId, credential.secret, context.signal)
        : credential.token;
    try {
      const { payload } = await jwtVerify(token, this.#idp.publicKey, {
        issuer: this.#idp.issuer,
        audience: this.#idp.audience,
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      return { principal: toPrincipal(payload), checkedOnline: false };
    } catch (error) {
      throw mapJoseError(error);
    }
  }

  async #exchange(clientId: string, secret: string, signal: AbortSignal): Promise<string> {
    let response: Response;
    try {
      response = await fetch(`${this.#idp.url}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        },
        signal,
        redirect: 'manual',
      });
    } catch (error) {
      throw new PortcullisError('ERR_IDP_UNAVAILABLE', 'the identity provider is unreachable', {
        cause: error,
        retryAfterSec: 2,
      });
    }
    if (response.status >= 500) {
      await response.body?.cancel();
      throw new PortcullisError('ERR_IDP_UNAVAILABLE', 'the identity provider is unavailable', {
        retryAfterSec: Number(response.headers.get('retry-after') ?? '1'),
      });
    }
    if (response.status === 401) {
      await response.body?.cancel();
      throw new PortcullisError('ERR_CLIENT_CREDENTIALS_INVALID', 'client credentials are invalid');
    }
    const body = (await response.json()) as { access_token?: unknown };
    if (typeof body.access_token !== 'string') {
      throw new PortcullisError(
        'ERR_IDP_RESPONSE_INVALID',
        'token endpoint answered without a token',
      );
    }
    return body.access_token;
  }
}

function toPrincipal(payload: Record<string, unknown>): Principal {
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  const optional = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : undefined;
  const userId = optional(payload['userId']);
  const tenantId = optional(payload['tenantId']);
  const clientId = optional(payload['client_id']);
  return Object.freeze({
    subject: String(payload['sub']),
    ...(clientId === undefined ? {} : { clientId }),
    ...(typeof payload['jti'] === 'string' ? { tokenId: payload['jti'] } : {}),
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(userId === undefined ? {} : { userId }),
    ownerKind: userId !== undefined ? 'user' : tenantId !== undefined ? 'tenant' : 'client',
    credential: payload['kind'] === 'client_credentials' ? 'client_credentials' : 'access_token',
    permissions: strings(payload['permissions']),
    roles: strings(payload['roles']),
    scopes: typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [],
    issuer: optional(payload['iss']),
    issuedAt: payload['iat'] as number,
    expiresAt: payload['exp'] as number,
    claims: Object.freeze({ ...payload }),
  } satisfies Principal);
}

function mapJoseError(error: unknown): PortcullisError {
  if (error instanceof PortcullisError) return error;
  if (error instanceof joseErrors.JWTExpired) {
    return new PortcullisError('ERR_TOKEN_EXPIRED', 'the token has expired');
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new PortcullisError('ERR_TOKEN_SIGNATURE_INVALID', 'the token signature is invalid');
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new PortcullisError(
      'ERR_TOKEN_CLAIM_INVALID',
      `the token ${error.claim} claim is invalid`,
    );
  }
  return new PortcullisError('ERR_TOKEN_MALFORMED', 'the token is not a valid JWT');
}
