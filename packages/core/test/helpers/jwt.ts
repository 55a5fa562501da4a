/** Minting tokens for tests: good ones with real keys, and deliberately bad ones. */
import { SignJWT, base64url } from 'jose';
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import type { TestSigningKey } from './keys.js';

export interface MintOptions {
  /** Extra or overriding header parameters (`kid` and `alg` default to the key's). */
  readonly header?: Partial<JWTHeaderParameters> & Record<string, unknown>;
  /** Epoch seconds used for `iat` and the default `exp`; default: the wall clock. */
  readonly nowSec?: number;
  /** Lifetime in seconds (default 300); `null` mints a token without `exp`. */
  readonly expiresInSec?: number | null;
  /** Extension parameters the signer should accept in `crit` (to mint tokens that use them). */
  readonly crit?: Record<string, boolean>;
}

/** Sign claims with the key. `iat` and `exp` are added unless present in `claims`. */
export async function mintJwt(
  key: TestSigningKey,
  claims: JWTPayload & Record<string, unknown>,
  options: MintOptions = {},
): Promise<string> {
  const nowSec = options.nowSec ?? Math.floor(Date.now() / 1000);
  const lifetime = options.expiresInSec === undefined ? 300 : options.expiresInSec;
  const payload: JWTPayload = {
    iat: nowSec,
    ...(lifetime === null ? {} : { exp: nowSec + lifetime }),
    ...claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header })
    .sign(key.privateKey, options.crit === undefined ? undefined : { crit: options.crit });
}

/** HMAC-sign with arbitrary secret bytes (the alg-confusion attack uses the public key as the secret). */
export async function mintHmacJwt(
  secret: Uint8Array,
  claims: JWTPayload,
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...header }).sign(secret);
}

/** Assemble a compact JWS from raw parts without signing (e.g. `alg: none`, junk signatures). */
export function forgeJwt(header: object, payload: object, signature = ''): string {
  const encode = (value: object): string => base64url.encode(JSON.stringify(value));
  return `${encode(header)}.${encode(payload)}.${signature}`;
}
