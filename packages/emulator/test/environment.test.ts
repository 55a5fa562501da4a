import { createPublicKey } from 'node:crypto';
import { SignJWT, createLocalJWKSet, importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/index.js';
import { call, claimsOf, startHarness } from './helpers.js';
import type { Harness } from './helpers.js';

describe('server basics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.emu.close());

  it('binds loopback, prints a DEVELOPMENT ONLY warning and tags every response', async () => {
    expect(h.emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(h.logs.join('\n')).toContain('DEVELOPMENT ONLY');
    const answer = await h.call('GET', '/.well-known/jwks.json');
    expect(answer.headers.get('x-dev-idp')).toBe('portcullis-emulator');
  });

  it('answers unknown routes with 404 JSON and wrong methods with 405', async () => {
    const unknown = await h.call('GET', '/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0]).toContain('/nope');
    expect(unknown.headers.get('x-dev-idp')).toBe('portcullis-emulator');
    expect((await h.call('PUT', '/auth/vendor')).status).toBe(405);
  });

  it('refuses invalid JSON, oversized bodies and missing fields with clear 4xx', async () => {
    const response = await fetch(`${h.emu.url}/auth/vendor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: ['Request body is not valid JSON'] });

    const big = await h.call('POST', '/auth/vendor', { body: { clientId: 'x'.repeat(300_000) } });
    expect(big.status).toBe(413);

    const missing = await h.call('POST', '/auth/vendor', { body: { clientId: 'a' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]).toMatch(/secret is required/);
  });

  it('validates options naming the option', async () => {
    await expect(startEmulator({ port: -1 })).rejects.toThrow(/options\.port/);
    await expect(startEmulator({ appId: '' })).rejects.toThrow(/options\.appId/);
  });
});

describe('vendor auth and configurations', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      vendorClientId: 'vendor-a',
      vendorSecret: 's3cret',
      appId: 'ws-1',
    });
  });
  afterAll(() => h.emu.close());

  it('issues a vendor JWT for the right credentials only', async () => {
    expect(h.emu.vendor).toEqual({ clientId: 'vendor-a', secret: 's3cret' });
    const ok = await h.call('POST', '/auth/vendor', {
      body: { clientId: 'vendor-a', secret: 's3cret' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.expiresIn).toBeGreaterThan(0);
    const claims = claimsOf(ok.body.token);
    expect(claims).toMatchObject({ type: 'vendor', iss: h.emu.url, aud: 'ws-1' });

    const bad = await h.call('POST', '/auth/vendor', {
      body: { clientId: 'vendor-a', secret: 'nope' },
    });
    expect(bad.status).toBe(401);
  });

  it('accepts the vendor token as x-access-token or Authorization: Bearer, and nothing else', async () => {
    const path = '/identity/resources/configurations/v1';
    expect(
      (await h.call('GET', path, { headers: { 'x-access-token': h.vendorToken } })).status,
    ).toBe(200);
    expect((await h.call('GET', path, { token: h.vendorToken })).status).toBe(200);
    expect((await h.call('GET', path)).status).toBe(401);
    expect((await h.call('GET', path, { token: 'garbage' })).status).toBe(401);
  });

  it('refuses forged vendor tokens: alg none, HS256 keyed with the public key, another issuer', async () => {
    const path = '/identity/resources/configurations/v1';
    const config = await h.vendor('GET', path);
    const [header, payload] = h.vendorToken.split('.');
    const b64 = (value: unknown): string =>
      Buffer.from(JSON.stringify(value)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    expect((await h.call('GET', path, { token: none })).status).toBe(401);
    const kid = JSON.parse(Buffer.from(header!, 'base64url').toString()).kid;
    const hs256 = await new SignJWT(claimsOf(h.vendorToken))
      .setProtectedHeader({ alg: 'HS256', kid })
      .sign(new TextEncoder().encode(config.body.publicKey));
    expect((await h.call('GET', path, { token: hs256 })).status).toBe(401);
    const other = await startHarness({
      vendorClientId: 'vendor-a',
      vendorSecret: 's3cret',
      appId: 'ws-1',
    });
    try {
      expect((await h.call('GET', path, { token: other.vendorToken })).status).toBe(401);
    } finally {
      await other.emu.close();
    }
  });

  it('serves the settings with a PEM public key that verifies issued tokens', async () => {
    const config = await h.vendor('GET', '/identity/resources/configurations/v1');
    expect(config.body).toMatchObject({
      apiTokensEnabled: true,
      machineToMachineAuthStrategy: 'ClientCredentials',
      jwtAlgorithm: 'RS256',
      defaultTokenExpiration: 86400,
    });
    expect(config.body.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const key = await importSPKI(config.body.publicKey, 'RS256');
    const { payload } = await jwtVerify(h.vendorToken, key, {
      issuer: h.emu.url,
      audience: 'ws-1',
    });
    expect(payload['type']).toBe('vendor');
  });

  it('updates the settings and validates every field', async () => {
    const path = '/identity/resources/configurations/v1';
    const updated = await h.vendor('POST', path, { body: { defaultTokenExpiration: 600 } });
    expect(updated.status).toBe(201);
    expect(updated.body.defaultTokenExpiration).toBe(600);
    for (const body of [
      { apiTokensEnabled: 'yes' },
      { machineToMachineAuthStrategy: 'Magic' },
      { jwtAlgorithm: 'HS256' },
      { addRolesToJwt: 'no' },
      { addPermissionsToJwt: 1 },
      { defaultTokenExpiration: 1.5 },
    ]) {
      const answer = await h.vendor('POST', path, { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.errors[0]).toMatch(Object.keys(body)[0]!);
    }
    const login = await h.call('POST', '/identity/resources/auth/v1/user', {
      body: { email: 'nobody@example.test', password: 'x' },
    });
    expect(login.status).toBe(401);
  });
});

describe('signing keys', () => {
  it('publishes a JWKS with kid, and keeps a rotated key for its grace period', async () => {
    let nowMs = Date.now();
    const h = await startHarness({ now: () => nowMs, keyGraceMs: 60_000 });
    try {
      const before = await h.call('GET', '/.well-known/jwks.json');
      expect(before.body.keys).toHaveLength(1);
      const oldKid = before.body.keys[0].kid;
      expect(before.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(before.body.keys[0].d).toBeUndefined();

      const oldToken = h.vendorToken;
      const rotated = await h.vendor('POST', '/_emulator/keys/rotate');
      expect(rotated.status).toBe(200);
      const after = await h.call('GET', '/.well-known/jwks.json');
      expect(after.body.keys.map((k: { kid: string }) => k.kid)).toEqual([
        rotated.body.kid,
        oldKid,
      ]);

      // The old token still verifies against the published set, and the emulator still takes it.
      const jwks = createLocalJWKSet(after.body);
      await jwtVerify(oldToken, jwks, { currentDate: new Date(nowMs) });
      expect((await h.vendor('GET', '/identity/resources/configurations/v1')).status).toBe(200);

      // The configurations publicKey is the new key.
      const config = await h.vendor('GET', '/identity/resources/configurations/v1');
      const pem = createPublicKey(config.body.publicKey).export({ format: 'jwk' });
      expect(pem.n).toBe(after.body.keys[0].n);

      nowMs += 61_000;
      const later = await h.call('GET', '/.well-known/jwks.json');
      expect(later.body.keys.map((k: { kid: string }) => k.kid)).toEqual([rotated.body.kid]);
      expect((await h.vendor('GET', '/identity/resources/configurations/v1')).status).toBe(401);
    } finally {
      await h.emu.close();
    }
  });

  it('admin routes need the vendor token', async () => {
    const h = await startHarness();
    try {
      expect((await call(h.emu.url, 'POST', '/_emulator/keys/rotate')).status).toBe(401);
    } finally {
      await h.emu.close();
    }
  });
});
