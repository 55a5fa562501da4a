/**
 * Cache keys never contain a secret or a token (docs/design.md §2, §9): key = HMAC-SHA256(key secret,
 * form ‖ credential), base64url. Replicas sharing a principal cache must share the key secret.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ExtractedCredential } from '../types.js';

/** Bytes of a per-process random key secret. */
const RANDOM_SECRET_BYTES = 32;

export type CacheKeyer = (credential: ExtractedCredential) => string;

/** Returns a function mapping a credential to its cache key. `secret` undefined → random per process. */
export function createCacheKeyer(secret: string | Uint8Array | undefined): CacheKeyer {
  const key = secret === undefined ? randomBytes(RANDOM_SECRET_BYTES) : secret;
  return (credential) => {
    const hmac = createHmac('sha256', key);
    if (credential.form === 'basic') {
      // Length-prefix the client id so `a:bc` and `ab:c` can never collide.
      hmac.update(`basic\0${credential.clientId.length}\0${credential.clientId}\0`);
      hmac.update(credential.secret);
    } else {
      // Bearer and X-API-Key carry the same kind of token; keep their answers apart anyway so
      // the policy gate on the form is never skipped by a hit from the other form.
      hmac.update(credential.form === 'bearer' ? 'bearer\0' : 'api-key\0');
      hmac.update(credential.token);
    }
    return hmac.digest('base64url');
  };
}
