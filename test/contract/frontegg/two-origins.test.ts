/**
 * Done-when of issue 13: a configuration written from docs/providers/frontegg.md for a real
 * Frontegg environment — vendor API URL, app URL, client ID, API key, nothing else — verifies the
 * tokens of an emulator whose vendor API and app domain are two origins, as on Frontegg. The same
 * configuration with the app URL left at the vendor API (the old default) verifies nothing.
 */
import { randomUUID } from 'node:crypto';
import { createAuthenticator, frontegg, isPortcullisError } from '@portcullis/core';
import type { Authenticator, RequestLike } from '@portcullis/core';
import { startEmulator } from '@portcullis/emulator';
import type { RunningEmulator } from '@portcullis/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorClient } from '../../support/emulator-client.js';

let emu: RunningEmulator;
let client: EmulatorClient;
const tenantId = `two-origins-${randomUUID()}`;
const authenticators: Authenticator[] = [];

function authenticatorFor(settings: {
  baseUrl: string;
  appUrl: string;
  clientId: string;
  apiKey: string;
}): Authenticator {
  // Exactly the four settings the docs ask for on real Frontegg.
  const authenticator = createAuthenticator({ provider: frontegg(settings) });
  authenticators.push(authenticator);
  return authenticator;
}

const bearer = (token: string): RequestLike => ({ headers: { authorization: `Bearer ${token}` } });
const basic = (c: { clientId: string; secret: string }): RequestLike => ({
  headers: {
    authorization: `Basic ${Buffer.from(`${c.clientId}:${c.secret}`).toString('base64')}`,
  },
});

beforeAll(async () => {
  emu = await startEmulator({ logger: () => {}, appPort: 0 });
  client = new EmulatorClient(emu.url, emu.vendor);
  await client.createTenant(tenantId);
});

afterAll(async () => {
  for (const authenticator of authenticators) await authenticator.close();
  await emu?.close();
});

describe('a configuration from the docs against an emulator on two origins', () => {
  it('runs the vendor API and the app domain apart', () => {
    expect(new URL(emu.appUrl).origin).not.toBe(new URL(emu.url).origin);
  });

  it('verifies API tokens (Basic and the exchanged JWT) and access tokens', async () => {
    const authenticator = authenticatorFor({
      baseUrl: emu.url,
      appUrl: emu.appUrl,
      clientId: emu.vendor.clientId,
      apiKey: emu.vendor.secret,
    });
    await authenticator.ready();
    const credentials = await client.createTenantApiToken(tenantId, []);
    // The exchange lives on the app domain only.
    const exchange = await new EmulatorClient(emu.appUrl, emu.vendor).call(
      'POST',
      '/identity/resources/auth/v2/api-token',
      { body: credentials },
    );
    expect(exchange.status).toBe(200);
    const jwt = exchange.body.access_token as string;
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ iss: emu.appUrl, aud: emu.vendor.clientId });

    expect(await authenticator.authenticate(bearer(jwt))).toMatchObject({
      clientId: credentials.clientId,
      tenantId,
      issuer: emu.appUrl,
    });
    expect(await authenticator.authenticate(basic(credentials))).toMatchObject({
      clientId: credentials.clientId,
    });

    await client.setConfiguration({ machineToMachineAuthStrategy: 'AccessToken' });
    const access = await client.createAccessToken('tenant', tenantId, {});
    await client.setConfiguration({ machineToMachineAuthStrategy: 'ClientCredentials' });
    expect(
      await authenticator.authenticate({ headers: { 'x-api-key': access.secret as string } }),
    ).toMatchObject({ tokenId: access.id, credential: 'access_token' });
  });

  it('verifies nothing when the app URL is the vendor API (the old default)', async () => {
    const authenticator = authenticatorFor({
      baseUrl: emu.url,
      appUrl: emu.url,
      clientId: emu.vendor.clientId,
      apiKey: emu.vendor.secret,
    });
    const credentials = await client.createTenantApiToken(tenantId, []);
    const jwt = await new EmulatorClient(emu.appUrl, emu.vendor).call(
      'POST',
      '/identity/resources/auth/v2/api-token',
      { body: credentials },
    );
    for (const request of [bearer(jwt.body.access_token as string), basic(credentials)]) {
      const refused = await authenticator.authenticate(request).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isPortcullisError(refused), String(refused)).toBe(true);
    }
  });
});
