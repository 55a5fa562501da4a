/** Signing keys for tests: generated per run, never checked in. */
import { randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';

export interface TestSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  /** Public JWK with `kid`, `alg` and `use: sig`, as a JWKS endpoint would publish it. */
  readonly publicJwk: JWK;
  /** The public key as PEM (SPKI). */
  readonly publicKeyPem: string;
}

/** Generate an asymmetric signing key (`RS256` by default). */
export async function createSigningKey(
  alg = 'RS256',
  kid: string = randomUUID(),
): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk, publicKeyPem: await exportSPKI(publicKey) };
}

/** A JWK set document publishing the keys' public halves. */
export function jwksOf(...keys: readonly TestSigningKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.publicJwk) };
}
