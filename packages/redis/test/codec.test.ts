import { describe, expect, it } from 'vitest';
import { parseJson, toBusMessage, toSharedCacheEntry } from '../src/codec.js';
import { tombstoneId } from '../src/keys.js';

describe('bus message validation', () => {
  it('accepts a policy whose enabled is still unknown and a lock tombstone', () => {
    const policy = parseJson(
      JSON.stringify({
        v: 1,
        origin: 'a',
        type: 'policy',
        state: { acceptedCredentials: ['access_token'], version: { at: 0, origin: '' } },
      }),
      toBusMessage,
    );
    expect(policy).toEqual({
      ok: true,
      value: {
        v: 1,
        origin: 'a',
        type: 'policy',
        state: {
          enabled: undefined,
          acceptedCredentials: ['access_token'],
          version: { at: 0, origin: '' },
        },
      },
    });
    const lock = parseJson(
      JSON.stringify({
        v: 1,
        origin: 'a',
        type: 'revoke',
        tombstone: { kind: 'lock', selector: { userId: 'u' }, revokedAt: 1, expiresAt: 2 },
      }),
      toBusMessage,
    );
    expect(lock.ok).toBe(true);
  });

  it.each([
    ['extra top-level field', { v: 1, origin: 'a', type: 'flush', extra: 1 }],
    [
      'duplicate credential kinds',
      {
        v: 1,
        origin: 'a',
        type: 'policy',
        state: {
          enabled: true,
          acceptedCredentials: ['access_token', 'access_token'],
          version: { at: 1, origin: 'a' },
        },
      },
    ],
    [
      'all combined with a field',
      { v: 1, origin: 'a', type: 'invalidate', selector: { all: true, tenantId: 't' } },
    ],
    [
      'an unknown tombstone kind',
      {
        v: 1,
        origin: 'a',
        type: 'revoke',
        tombstone: { kind: 'ban', selector: { userId: 'u' }, revokedAt: 1, expiresAt: 2 },
      },
    ],
    [
      'an over-long id',
      { v: 1, origin: 'a', type: 'invalidate', selector: { tokenId: 'x'.repeat(1025) } },
    ],
    [
      'a negative time',
      {
        v: 1,
        origin: 'a',
        type: 'revoke',
        tombstone: { kind: 'revoke', selector: { userId: 'u' }, revokedAt: -1, expiresAt: 2 },
      },
    ],
  ])('refuses %s with a reason', (_name, message) => {
    const parsed = parseJson(JSON.stringify(message), toBusMessage);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).not.toBe('');
  });

  it('freezes what it returns, down to the claims', () => {
    const parsed = parseJson(
      JSON.stringify({
        principal: {
          subject: 's',
          ownerKind: 'client',
          credential: 'client_credentials',
          permissions: [],
          roles: [],
          scopes: [],
          claims: { nested: { a: 1 } },
        },
        expiresAt: 5,
        checkedOnline: false,
      }),
      toSharedCacheEntry,
    );
    expect(parsed.ok).toBe(true);
    const entry = parsed.ok ? parsed.value : undefined;
    expect(Object.isFrozen((entry!.principal.claims as { nested: object }).nested)).toBe(true);
  });
});

describe('tombstone ids', () => {
  it('depend on kind and selector only, with a stable field order and encoded values', () => {
    expect(tombstoneId({ kind: 'revoke', selector: { tenantId: 't', userId: 'u' } })).toBe(
      tombstoneId({ kind: 'revoke', selector: { userId: 'u', tenantId: 't' } }),
    );
    expect(tombstoneId({ kind: 'revoke', selector: { userId: 'a&tenantId=b' } })).not.toBe(
      tombstoneId({ kind: 'revoke', selector: { userId: 'a', tenantId: 'b' } }),
    );
    expect(tombstoneId({ kind: 'lock', selector: { userId: 'u' } })).not.toBe(
      tombstoneId({ kind: 'revoke', selector: { userId: 'u' } }),
    );
    expect(tombstoneId({ kind: 'revoke', selector: { all: true } })).toBe('revoke:all');
  });
});
