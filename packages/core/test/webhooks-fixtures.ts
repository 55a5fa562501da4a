// Shared by the webhooks-*.test.ts files: a recording AuthenticatorActions and an independent
// Standard Webhooks signer (node:crypto directly, not the code under test).
import { createHmac } from 'node:crypto';
import { PortcullisError } from '../src/errors.js';
import type { AuthenticatorActions } from '../src/provider.js';

export interface RecordedCall {
  readonly action: string;
  readonly args: readonly unknown[];
}

/** Actions that record every call; `failNext(n, error)` makes the next n calls reject after recording. */
export function recordingActions() {
  const calls: RecordedCall[] = [];
  let failures: { remaining: number; error: () => unknown } = { remaining: 0, error: () => null };
  const record =
    (action: string) =>
    async (...args: unknown[]): Promise<void> => {
      calls.push({ action, args });
      if (failures.remaining > 0) {
        failures.remaining -= 1;
        throw failures.error();
      }
    };
  const actions: AuthenticatorActions = {
    revoke: record('revoke'),
    invalidate: record('invalidate'),
    lockUser: record('lockUser'),
    unlockUser: record('unlockUser'),
    applyPolicyEvent: record('applyPolicyEvent'),
    cachedClientIds: () => [],
    watchTenant: async (tenantId, ttlMs) => ({
      tenantId,
      startedAt: Date.now(),
      expiresAt: Date.now() + ttlMs,
    }),
    watchOf: () => undefined,
    isRevoked: () => false,
  };
  return {
    actions,
    calls,
    failNext(count: number, error: () => unknown): void {
      failures = { remaining: count, error };
    },
  };
}

export const storeDown = (): PortcullisError =>
  new PortcullisError('ERR_STORE_UNAVAILABLE', 'the shared store is unavailable');

/** `whsec_` + base64 of `bytes` random-looking but fixed bytes. */
export function makeSecret(seed: number, bytes = 32): string {
  return `whsec_${Buffer.alloc(bytes, seed).toString('base64')}`;
}

/** Independent signer: HMAC-SHA256(base64-decoded secret, "id.timestamp.body"), base64. */
export function sign(secret: string, id: string, timestampSec: number, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`).digest('base64')}`;
}
