/**
 * The optional signed identity JWT (`x-portcullis-identity`): ES256, short-lived, with a `kid`
 * (RFC 7638 thumbprint). The key comes from a PEM file so every replica signs alike; the admin
 * listener serves the public JWKS so upstreams can verify instead of trusting plain headers.
 */
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { PortcullisError } from '@portcullis/core';
import type { Principal } from '@portcullis/core';

export interface IdentityJwtSigner {
  sign(principal: Principal): string;
  /** `{ keys: [publicJwk] }` for `/.well-known/jwks.json`. */
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] };
  readonly kid: string;
}

export interface IdentityJwtOptions {
  /** PKCS#8 or SEC1 PEM of a P-256 private key. */
  readonly privateKeyPem: string;
  readonly issuer: string;
  /** Lifetime in seconds. */
  readonly ttlSec: number;
  /** Epoch ms. */
  readonly now?: () => number;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** Load the key and build the signer; throws `ERR_INVALID_OPTION` for a non-P-256 or unreadable PEM. */
export function createIdentityJwtSigner(options: IdentityJwtOptions): IdentityJwtSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(options.privateKeyPem);
  } catch {
    throw new PortcullisError(
      'ERR_INVALID_OPTION',
      'option identity.jwtKeyFile is not a PEM private key',
      {
        details: { option: 'identity.jwtKeyFile' },
      },
    );
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new PortcullisError(
      'ERR_INVALID_OPTION',
      'option identity.jwtKeyFile must hold a P-256 (ES256) key',
      {
        details: { option: 'identity.jwtKeyFile' },
      },
    );
  }
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as {
    crv: string;
    kty: string;
    x: string;
    y: string;
  };
  // RFC 7638: members in lexicographic order, no whitespace.
  const thumbprint = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  const kid = b64url(createHash('sha256').update(thumbprint).digest());
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid }));
  const now = options.now ?? Date.now;

  return {
    kid,
    jwks: { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] },
    sign(principal) {
      const iat = Math.floor(now() / 1000);
      const payload = {
        iss: options.issuer,
        sub: principal.subject,
        iat,
        exp: iat + options.ttlSec,
        client_id: principal.clientId,
        tenant_id: principal.tenantId,
        user_id: principal.userId,
        owner_kind: principal.ownerKind,
        credential: principal.credential,
        permissions: principal.permissions,
        roles: principal.roles,
        scopes: principal.scopes,
      };
      const input = `${header}.${b64url(JSON.stringify(payload))}`;
      const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
      return `${input}.${b64url(signature)}`;
    },
  };
}
