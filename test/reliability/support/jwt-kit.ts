/** Test signing keys and raw JWT building, including tokens no honest library would produce. */
import { createHmac, createSign, randomUUID } from 'node:crypto';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly publicKeyPem: string;
}

export async function createSigningKey(alg = 'RS256', kid = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk, publicKeyPem: await exportSPKI(publicKey) };
}

export const jwksOf = (...keys: readonly SigningKey[]): { keys: JWK[] } => ({
  keys: keys.map((key) => key.publicJwk),
});

/** A JWT signed by `key` with any header parameters (jose signs whatever header it is given). */
export async function signJwt(
  key: SigningKey,
  payload: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** A compact JWS from raw parts: any header, any payload bytes, HMAC-SHA256 with `hmacKey` or no signature. */
export function rawJwt(
  header: Record<string, unknown>,
  payload: unknown,
  hmacKey?: string | Buffer,
): string {
  const payloadBytes = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const input = `${b64(JSON.stringify(header))}.${b64(payloadBytes)}`;
  if (hmacKey === undefined) return `${input}.`;
  return `${input}.${createHmac('sha256', hmacKey).update(input).digest('base64url')}`;
}

/** Decodes a JWT's payload without verifying it. */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

/** Replaces the payload of a signed JWT, keeping its header and (now wrong) signature. */
export function withPayload(token: string, payload: unknown): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64(JSON.stringify(payload))}.${signature}`;
}

/**
 * An RS256 JWS over any header and payload bytes, signed with node:crypto — for headers jose
 * refuses to produce (`crit` naming unknown parameters, `cty: JWT` with a non-JSON payload).
 */
export async function signRaw(
  key: SigningKey,
  header: Record<string, unknown>,
  payload: unknown,
): Promise<string> {
  const payloadBytes = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const input = `${b64(JSON.stringify({ alg: 'RS256', kid: key.kid, ...header }))}.${b64(payloadBytes)}`;
  const signature = createSign('RSA-SHA256')
    .update(input)
    .sign(await exportPKCS8(key.privateKey));
  return `${input}.${signature.toString('base64url')}`;
}
