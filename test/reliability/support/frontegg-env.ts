/**
 * The emulator seeded with one tenant, a reader role, two tenant API tokens and one tenant access
 * token, with a counting proxy in front so tests see every call the authenticator makes.
 */
import { startEmulator } from '@portcullis/emulator';
import type { RunningEmulator } from '@portcullis/emulator';
import type { FronteggProviderOptions } from '@portcullis/core';
import { EmulatorClient } from '../../support/emulator-client.js';
import { startCountingProxy } from './counting-proxy.js';
import type { CountingProxy } from './counting-proxy.js';

export interface FronteggEnv {
  readonly emulator: RunningEmulator;
  readonly client: EmulatorClient;
  readonly proxy: CountingProxy;
  readonly tenantId: string;
  readonly apiTokens: readonly { readonly clientId: string; readonly secret: string }[];
  /** The first API token exchanged for its JWT (a Bearer credential verified offline). */
  readonly apiTokenJwt: string;
  readonly accessToken: string;
  /** Preset options that reach the IdP through the counting proxy. */
  readonly provider: FronteggProviderOptions;
  /** Sets an emulator fault (`/_emulator/faults`). */
  fault(group: string, mode: string, latencyMs?: number): Promise<void>;
  clearFaults(): Promise<void>;
  close(): Promise<void>;
}

export async function startFronteggEnv(apiTokenCount = 2): Promise<FronteggEnv> {
  const emulator = await startEmulator({ logger: () => {} });
  const proxy = await startCountingProxy(emulator.url);
  try {
    const client = new EmulatorClient(emulator.url, emulator.vendor);
    const tenantId = 'reliability-tenant';
    await client.createTenant(tenantId);
    const reader = await client.createRole('reader', ['orders:read']);
    await client.setConfiguration({ machineToMachineAuthStrategy: 'AccessToken' });
    const access = await client.createAccessToken('tenant', tenantId, { roleIds: [reader] });
    await client.setConfiguration({ machineToMachineAuthStrategy: 'ClientCredentials' });
    const apiTokens = [];
    for (let i = 0; i < apiTokenCount; i++) {
      apiTokens.push(await client.createTenantApiToken(tenantId, [reader]));
    }
    const first = apiTokens[0]!;
    const apiTokenJwt = await client.exchange(first.clientId, first.secret);
    return {
      emulator,
      client,
      proxy,
      tenantId,
      apiTokens,
      apiTokenJwt,
      accessToken: access.secret,
      provider: {
        baseUrl: proxy.url,
        clientId: emulator.vendor.clientId,
        apiKey: emulator.vendor.secret,
        appUrl: proxy.url,
        // Tokens name the emulator as issuer; the calls go through the proxy.
        issuer: emulator.url,
      },
      async fault(group, mode, latencyMs) {
        await client.asVendor('POST', '/_emulator/faults', {
          body: { group, mode, ...(latencyMs === undefined ? {} : { latencyMs }) },
          expect: 200,
        });
      },
      async clearFaults() {
        await client.asVendor('DELETE', '/_emulator/faults', { expect: 200 });
      },
      async close() {
        await proxy.close();
        await emulator.close();
      },
    };
  } catch (error) {
    await proxy.close();
    await emulator.close();
    throw error;
  }
}

/** `Authorization: Basic` for client credentials. */
export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
}
