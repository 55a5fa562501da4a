/**
 * A real OAuth 2.0 authorization server for black-box tests: node-oidc-provider with
 * client_credentials, JWT access tokens (resource indicators) and RFC 7662 introspection.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const AUDIENCE = 'urn:portcullis:test-api';
const JWT_RESOURCE = 'urn:portcullis:test-api:jwt';
const OPAQUE_RESOURCE = 'urn:portcullis:test-api:opaque';

export interface TestClient {
  readonly clientId: string;
  readonly secret: string;
  readonly tenant?: string;
  readonly permissions?: readonly string[];
  /** Tokens of this client are opaque (introspected) instead of JWTs. */
  readonly opaque?: boolean;
}

export const CLIENTS = {
  reader: {
    clientId: 'svc-reader',
    secret: 'reader-secret-0123456789',
    tenant: 'acme',
    permissions: ['orders:read'],
  },
  admin: {
    clientId: 'svc-admin',
    secret: 'admin-secret-0123456789',
    tenant: 'acme',
    permissions: ['orders:read', 'admin'],
  },
  other: {
    clientId: 'svc-other',
    secret: 'other-secret-0123456789',
    tenant: 'globex',
    permissions: ['orders:read'],
  },
  opaque: {
    clientId: 'svc-opaque',
    secret: 'opaque-secret-0123456789',
    tenant: 'acme',
    permissions: ['orders:read'],
    opaque: true,
  },
  rs: { clientId: 'resource-server', secret: 'rs-secret-0123456789' },
} as const satisfies Record<string, TestClient>;

export interface RunningIdp {
  readonly issuer: string;
  token(client: TestClient): Promise<string>;
  /** Requests the IdP received, by path. */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

export async function startIdp(): Promise<RunningIdp> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: 'test-key',
    use: 'sig',
    alg: 'RS256',
  };
  const byId = new Map<string, TestClient>(Object.values(CLIENTS).map((c) => [c.clientId, c]));

  const provider = new Provider(issuer, {
    clients: Object.values(CLIENTS).map((c) => ({
      client_id: c.clientId,
      client_secret: c.secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: 'orders:read orders:write',
    })),
    jwks: { keys: [jwk] },
    scopes: ['orders:read', 'orders:write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx: unknown, client: { clientId: string }) =>
          byId.get(client.clientId)?.opaque === true ? OPAQUE_RESOURCE : JWT_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: 'orders:read orders:write',
          audience: AUDIENCE,
          accessTokenTTL: 300,
          accessTokenFormat: resource === OPAQUE_RESOURCE ? 'opaque' : 'jwt',
          ...(resource === OPAQUE_RESOURCE ? {} : { jwt: { sign: { alg: 'RS256' } } }),
        }),
      },
    },
    extraTokenClaims: (_ctx: unknown, token: { clientId: string }) => {
      const client = byId.get(token.clientId);
      if (client?.tenant === undefined) return undefined;
      return { tenant_id: client.tenant, permissions: client.permissions ?? [] };
    },
  });
  const calls = new Map<string, number>();
  const callback = provider.callback();
  server.on('request', (req, res) => {
    const path = (req.url ?? '').split('?')[0] as string;
    calls.set(path, (calls.get(path) ?? 0) + 1);
    callback(req, res);
  });

  return {
    issuer,
    calls,
    async token(client) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&scope=orders%3Aread',
      });
      const body = (await response.json()) as { access_token?: string };
      if (body.access_token === undefined)
        throw new Error(`token request failed: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
