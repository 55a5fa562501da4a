import { randomUUID } from 'node:crypto';
import {
  SignJWT,
  decodeProtectedHeader,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  jwtVerify,
} from 'jose';
import type { JWK, JWTPayload } from 'jose';
import type { SigningKeyRecord, StateData } from './state.js';

type Key = Awaited<ReturnType<typeof importJWK>>;

/** Generates an RS256 key record with a fresh `kid`. */
export async function generateSigningKey(nowMs: number): Promise<SigningKeyRecord> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256' };
  return { kid, privateJwk, publicJwk, createdAt: nowMs };
}

/**
 * The signing keys: the newest signs; retired ones stay published (and accepted for the
 * emulator's own vendor and user tokens) until their grace period ends.
 */
export class KeyRing {
  private readonly imported = new Map<string, { private: Key; public: Key }>();
  private currentPem: { kid: string; pem: string } | undefined;

  constructor(
    private readonly state: StateData,
    private readonly now: () => number,
  ) {}

  /** The published keys, current first (Frontegg's Next.js SDK takes `keys[0]`). */
  published(): SigningKeyRecord[] {
    const nowMs = this.now();
    return this.state.keys.filter(
      (key) => key.retiredAt === undefined || key.retiredAt + (key.graceMs ?? 0) > nowMs,
    );
  }

  current(): SigningKeyRecord {
    const key = this.state.keys[0];
    if (!key) throw new Error('no signing key');
    return key;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.published().map((key) => key.publicJwk) };
  }

  /** PEM SPKI of the current key, as the configurations route's `publicKey`. */
  async currentPublicPem(): Promise<string> {
    const key = this.current();
    if (this.currentPem?.kid !== key.kid) {
      const pem = await exportSPKI(
        (await this.load(key)).public as Parameters<typeof exportSPKI>[0],
      );
      this.currentPem = { kid: key.kid, pem };
    }
    return this.currentPem.pem;
  }

  /** Adds a new current key; the previous one stays published for `graceMs`. */
  async rotate(graceMs: number): Promise<SigningKeyRecord> {
    const nowMs = this.now();
    const fresh = await generateSigningKey(nowMs);
    for (const key of this.state.keys) {
      if (key.retiredAt === undefined) {
        key.retiredAt = nowMs;
        key.graceMs = graceMs;
      }
    }
    // Drop keys whose grace is over: the state file stays small.
    this.state.keys = [fresh, ...this.published().filter((key) => key.kid !== fresh.kid)];
    return fresh;
  }

  async sign(payload: JWTPayload): Promise<string> {
    const key = this.current();
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .sign((await this.load(key)).private);
  }

  /** Verifies a JWT signed by a published key; iss/aud/exp checked. Undefined when invalid. */
  async verify(token: string, issuer: string, audience: string): Promise<JWTPayload | undefined> {
    try {
      const { kid } = decodeProtectedHeader(token);
      const key = this.published().find((candidate) => candidate.kid === kid);
      if (!key) return undefined;
      const { payload } = await jwtVerify(token, (await this.load(key)).public, {
        algorithms: ['RS256'],
        issuer,
        audience,
        currentDate: new Date(this.now()),
      });
      return payload;
    } catch {
      return undefined;
    }
  }

  private async load(key: SigningKeyRecord): Promise<{ private: Key; public: Key }> {
    let loaded = this.imported.get(key.kid);
    if (!loaded) {
      loaded = {
        private: await importJWK(key.privateJwk, 'RS256'),
        public: await importJWK(key.publicJwk, 'RS256', { extractable: true }),
      };
      this.imported.set(key.kid, loaded);
    }
    return loaded;
  }
}
