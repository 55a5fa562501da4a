/**
 * The conformance environment: the emulator seeded with two tenants, a user, a role holding
 * `orders:read`, and one credential of every kind. Every surface's runner uses the same one.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { startEmulator } from '@portcullis/emulator';
import type { RunningEmulator } from '@portcullis/emulator';
import type { FronteggProviderOptions } from '@portcullis/core';
import { EmulatorClient } from '../support/emulator-client.js';

export interface ConformanceCredentials {
  readonly tenantId: string;
  readonly otherTenantId: string;
  readonly userId: string;
  readonly tenantApiToken: {
    readonly clientId: string;
    readonly secret: string;
    readonly jwt: string;
  };
  readonly userApiToken: {
    readonly clientId: string;
    readonly secret: string;
    readonly jwt: string;
  };
  readonly tenantAccessToken: string;
  readonly userAccessToken: string;
  /** A well-formed JWT with the right claims, signed by a key the IdP never published. */
  readonly foreignJwt: string;
  /** An unsigned (`alg: none`) JWT with the right claims. */
  readonly algNoneJwt: string;
}

export interface ConformanceEnv {
  readonly emulator: RunningEmulator;
  readonly client: EmulatorClient;
  readonly credentials: ConformanceCredentials;
  /** Options for the `frontegg` preset pointing at this emulator. */
  readonly provider: FronteggProviderOptions;
  close(): Promise<void>;
}

export async function startConformanceEnv(): Promise<ConformanceEnv> {
  const emulator = await startEmulator({ logger: () => {} });
  try {
    const client = new EmulatorClient(emulator.url, emulator.vendor);
    const tenantId = 'conformance-tenant';
    const otherTenantId = 'conformance-other-tenant';
    await client.createTenant(tenantId);
    await client.createTenant(otherTenantId);
    const reader = await client.createRole('reader', ['orders:read']);
    const userId = await client.createUser(tenantId, 'machine-owner@example.test', [reader]);

    // Frontegg lets a vendor create one kind at a time (the strategy); seed both kinds.
    await client.setConfiguration({ machineToMachineAuthStrategy: 'AccessToken' });
    const tenantAccess = await client.createAccessToken('tenant', tenantId, { roleIds: [reader] });
    const userAccess = await client.createAccessToken('user', tenantId, { userId });
    await client.setConfiguration({ machineToMachineAuthStrategy: 'ClientCredentials' });
    const tenantApi = await client.createTenantApiToken(tenantId, [reader]);
    const userApi = await client.createUserApiToken(tenantId, userId);

    const tenantJwt = await client.exchange(tenantApi.clientId, tenantApi.secret);
    const userJwt = await client.exchange(userApi.clientId, userApi.secret);
    const claims = JSON.parse(Buffer.from(tenantJwt.split('.')[1]!, 'base64url').toString('utf8'));
    const { privateKey } = await generateKeyPair('RS256');
    const foreignJwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'not-published' })
      .sign(privateKey);
    const algNoneJwt = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${tenantJwt.split('.')[1]}.`;

    return {
      emulator,
      client,
      credentials: {
        tenantId,
        otherTenantId,
        userId,
        tenantApiToken: { ...tenantApi, jwt: tenantJwt },
        userApiToken: { ...userApi, jwt: userJwt },
        tenantAccessToken: tenantAccess.secret,
        userAccessToken: userAccess.secret,
        foreignJwt,
        algNoneJwt,
      },
      provider: {
        baseUrl: emulator.url,
        clientId: emulator.vendor.clientId,
        apiKey: emulator.vendor.secret,
        appUrl: emulator.appUrl,
      },
      close: () => emulator.close(),
    };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}
