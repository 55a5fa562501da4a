import { describe, expect, it } from 'vitest';
import { compactPrincipal, Interner } from '../src/cache/intern.js';
import type { Principal } from '../src/types.js';

function parsedPrincipal(sub: string): Principal {
  // Fresh strings and arrays per token, as a JWT library and a provider produce them.
  const claims = JSON.parse(
    JSON.stringify({
      sub,
      jti: `jti-${sub}`,
      iss: 'https://app.example.com',
      tenantId: 'tenant-1',
      roles: ['admin', 'reader'],
      permissions: ['orders:read', 'orders:write'],
      metadata: { team: 'payments' },
    }),
  ) as Record<string, unknown>;
  return Object.freeze({
    subject: sub,
    clientId: sub,
    tenantId: claims['tenantId'] as string,
    ownerKind: 'tenant',
    credential: 'client_credentials',
    permissions: Object.freeze([...(claims['permissions'] as string[])]),
    roles: Object.freeze([...(claims['roles'] as string[])]),
    scopes: Object.freeze([]),
    issuer: claims['iss'] as string,
    claims: Object.freeze(claims),
  });
}

describe('compactPrincipal', () => {
  it('keeps every field and claim equal, frozen, and shares what repeats', () => {
    const interner = new Interner();
    const a = parsedPrincipal('client-a');
    const b = parsedPrincipal('client-b');
    const ca = compactPrincipal(a, interner);
    const cb = compactPrincipal(b, interner);
    expect(ca).toStrictEqual(a);
    expect(cb).toStrictEqual(b);
    expect(Object.isFrozen(ca) && Object.isFrozen(ca.claims)).toBe(true);
    expect(cb.permissions).toBe(ca.permissions);
    expect(cb.roles).toBe(ca.roles);
    expect(cb.claims['permissions']).toBe(ca.claims['permissions']);
    expect(cb.claims['metadata']).toBe(ca.claims['metadata']);
    expect(Object.isFrozen(cb.claims['metadata'])).toBe(true);
    expect(cb.subject).toBe('client-b');
  });

  it('keeps one string per id, and leaves a principal JSON cannot carry exactly as it is', () => {
    const interner = new Interner();
    const compacted = compactPrincipal(parsedPrincipal('client-c'), interner);
    expect(compacted.subject).toBe(compacted.claims['sub']);
    const odd = Object.freeze({ ...parsedPrincipal('client-d'), claims: { at: new Date(0) } });
    expect(compactPrincipal(odd, interner)).toBe(odd);
  });

  it('keeps arrays that differ apart, and stops adding once the pool is full', () => {
    const interner = new Interner(2);
    const x = interner.array(['a', 'bc']);
    const y = interner.array(['ab', 'c']);
    expect(x).not.toBe(y);
    expect(interner.array(['a', 'bc'])).toBe(x);
    // Two arrays pooled already (each pool holds at most 2): a third is not kept.
    expect(interner.array(['z'])).not.toBe(interner.array(['z']));
    expect(interner.array(['z'])).toStrictEqual(['z']);
  });
});
