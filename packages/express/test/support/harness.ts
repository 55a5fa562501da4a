/** Shared wiring for the express tests: a real authenticator on the test IdP, real HTTP servers. */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator } from '@portcullis/core';
import type { Authenticator, AuthenticatorOptions, CredentialKind } from '@portcullis/core';
import type { TestIdp } from './test-idp.js';
import { TestProvider } from './test-provider.js';

/** A Standard Webhooks secret generated per run. */
export const STANDARD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

export async function authenticatorFor(
  idp: TestIdp,
  options: {
    readonly acceptedCredentials?: readonly CredentialKind[];
    readonly extra?: Partial<AuthenticatorOptions>;
  } = {},
): Promise<Authenticator> {
  const authenticator = createAuthenticator({
    provider: new TestProvider(idp),
    policy: {
      enabled: true,
      acceptedCredentials: options.acceptedCredentials ?? ['client_credentials', 'access_token'],
    },
    webhooks: { standardSecrets: [STANDARD_SECRET] },
    ...options.extra,
  });
  await authenticator.ready();
  return authenticator;
}

export interface Served {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on loopback only (supertest's own `listen()` would bind every interface). */
export async function serve(app: RequestListener): Promise<Served> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
}

/** Signs a Standard Webhooks delivery independently of core (v1 = HMAC-SHA256 of id.ts.body). */
export function signedDelivery(
  secret: string,
  payload: unknown,
  options: { readonly id?: string; readonly timestampSec?: number } = {},
): { readonly body: string; readonly headers: Record<string, string> } {
  const body = JSON.stringify(payload);
  const id = options.id ?? `msg_${randomBytes(8).toString('hex')}`;
  const timestamp = String(options.timestampSec ?? Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
    },
  };
}

/** Splits a `WWW-Authenticate` value (or several) into its challenges' schemes, in order. */
export function challengeSchemes(header: string | string[] | undefined): string[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const schemes: string[] = [];
  for (const value of values) {
    // A scheme is a token at the start or right after a comma, followed by a space and a param.
    for (const match of value.matchAll(/(?:^|,\s*)([A-Za-z]+) (?=[a-z_]+=)/g)) {
      schemes.push(match[1]!);
    }
  }
  return schemes;
}
