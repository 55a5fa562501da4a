import { describe, expect, it } from 'vitest';
import type { Principal } from '@portcullis/core';
import {
  encodeHeaderValue,
  identityHeaders,
  spoofableHeaderFilter,
} from '../src/identity/headers.js';

const principal: Principal = {
  subject: 'svc 1',
  clientId: 'client-1',
  tenantId: 't,1',
  ownerKind: 'tenant',
  credential: 'access_token',
  permissions: ['orders:read', 'a,b'],
  roles: [],
  scopes: ['read', 'wr\r\nite'],
  claims: {},
};

describe('identity headers', () => {
  it('encodes values with commas, percent, spaces, CR/LF or non-ASCII', () => {
    expect(encodeHeaderValue('plain-value_1.2')).toBe('plain-value_1.2');
    expect(encodeHeaderValue('a,b')).toBe('a%2Cb');
    expect(encodeHeaderValue('50%')).toBe('50%25');
    expect(encodeHeaderValue('a b')).toBe('a%20b');
    expect(encodeHeaderValue('x\r\nSet-Cookie: a')).toBe('x%0D%0ASet-Cookie%3A%20a');
    expect(encodeHeaderValue('café')).toBe('caf%C3%A9');
  });

  it('writes every field under the prefix; lists comma-joined; empty lists omitted', () => {
    expect(identityHeaders(principal, 'x-portcullis-')).toEqual({
      'x-portcullis-subject': 'svc%201',
      'x-portcullis-tenant-id': 't%2C1',
      'x-portcullis-client-id': 'client-1',
      'x-portcullis-owner-kind': 'tenant',
      'x-portcullis-credential': 'access_token',
      'x-portcullis-permissions': 'orders:read,a%2Cb',
      'x-portcullis-scopes': 'read,wr%0D%0Aite',
    });
  });

  it('strips inbound look-alikes: any case, underscores, extra names', () => {
    const strip = spoofableHeaderFilter('x-portcullis-', ['x-original-url', 'x-forwarded-uri']);
    for (const name of [
      'x-portcullis-tenant-id',
      'X-Portcullis-Tenant-Id',
      'X_Portcullis_Tenant_Id',
      'x_portcullis-subject',
      'X-PORTCULLIS-IDENTITY',
      'x-portcullis-anything-new',
      'X_Original_URL',
      'x-forwarded_uri',
    ]) {
      expect(strip(name), name).toBe(true);
    }
    for (const name of ['x-portcullisfoo', 'authorization', 'x-tenant', 'content-type']) {
      expect(strip(name), name).toBe(false);
    }
  });
});
