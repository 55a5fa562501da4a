import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Salted SHA-256 for API-token secrets and passwords. Secrets are random UUIDs (122 bits), so a
 * slow KDF adds nothing there; passwords are dev-only test data.
 */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16).toString('base64url');
  return `sha256$${salt}$${digest(salt, secret)}`;
}

/** Constant-time check of a secret against a stored `sha256$salt$digest`. */
export function verifySecret(secret: string, stored: string | undefined): boolean {
  if (stored === undefined) return false;
  const [scheme, salt, expected] = stored.split('$');
  if (scheme !== 'sha256' || salt === undefined || expected === undefined) return false;
  const actual = Buffer.from(digest(salt, secret), 'base64url');
  const wanted = Buffer.from(expected, 'base64url');
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}

/** Constant-time equality of two strings (compared as SHA-256 digests, so lengths may differ). */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

/** Stable lookup key for opaque refresh tokens (never stored in clear). */
export function lookupHash(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

export const newId = (): string => randomUUID();

function digest(salt: string, secret: string): string {
  return createHash('sha256').update(salt).update('\0').update(secret).digest('base64url');
}
