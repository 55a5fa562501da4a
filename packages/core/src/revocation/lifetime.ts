/**
 * The long-lived-JWT rule of docs/design.md §5: a tombstone lives `revocationTtlMs`, so a token verified
 * only offline must not live longer than that, or a revoked token would come back to life when its
 * tombstone expires.
 */
import { PortcullisError } from '../errors.js';
import type { Principal } from '../types.js';

/** Lock tombstones are capped at 30 days (docs/design.md §5). */
export const LOCK_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** The token's lifetime in ms when it exceeds the revocation window, else undefined. */
export function excessLifetimeMs(
  principal: Principal,
  revocationTtlMs: number,
  nowMs: number,
): number | undefined {
  const exp = principal.expiresAt;
  if (exp === undefined) return undefined;
  const startSec = principal.issuedAt ?? nowMs / 1000;
  const lifetimeMs = (exp - startSec) * 1000;
  return lifetimeMs > revocationTtlMs ? lifetimeMs : undefined;
}

/** Throws `ERR_TOKEN_LIFETIME_TOO_LONG` when the token outlives the revocation window. */
export function assertLifetimeWithin(
  principal: Principal,
  revocationTtlMs: number,
  nowMs: number,
): void {
  const lifetimeMs = excessLifetimeMs(principal, revocationTtlMs, nowMs);
  if (lifetimeMs === undefined) return;
  throw new PortcullisError(
    'ERR_TOKEN_LIFETIME_TOO_LONG',
    `The token lives longer (${Math.round(lifetimeMs / 1000)} s) than revocations are kept ` +
      `(${Math.round(revocationTtlMs / 1000)} s) and the identity provider cannot check it online`,
    {
      details: {
        lifetimeSec: Math.round(lifetimeMs / 1000),
        revocationTtlSec: Math.round(revocationTtlMs / 1000),
      },
    },
  );
}
