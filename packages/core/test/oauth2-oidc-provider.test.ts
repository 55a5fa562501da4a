/**
 * Integration against a real authorization server: oidc-provider v9 on loopback with
 * client_credentials, introspection, revocation and resource indicators (JWT access tokens for
 * one resource, opaque ones for another). No fakes between our code and the IdP.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Provider as PortcullisProvider, ProviderContext } from '../src/provider.js';
import { createAuthenticator } from '../src/authenticator.js';
import { oauth2 } from '../src/providers/oauth2.js';
import type { ExtractedCredential } from '../src/types.js';
import { rejection } from './helpers/rejection.js';

const JWT_RESOURCE = 'https://orders.example.test';
const OPAQUE_RESOURCE = 'https://opaque.example.test';
const AUDIENCE = 'orders-api';
const MACHINE = { id: 'machine-1', secret: 'machine-1-secret-with-enough-entropy' };
const RESOURCE_SERVER = { id: 'orders-resource-server', secret: 'rs-secret-with-enough-entropy' };

const basicHeader = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const bearer = (token: string): ExtractedCredential => ({ form: 'bearer', token });
const signal = () => ({ signal: AbortSignal.timeout(5000) });

const context: ProviderContext = {
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  now: Date.now,
  dispatcher: undefined,
  timeoutMs: 2000,
  clockToleranceSec: 5,
  actions: {} as ProviderContext['actions'],
  observePolicy() {},
  requestPolicyRefresh() {},
};

describe('oauth2 preset against a real oidc-provider', () => {
  let issuer: string;
  const seenPaths: string[] = [];
  let close: () => Promise<void>;
  let portcullis: PortcullisProvider;

  beforeAll(async () => {
    // oidc-provider prints notices about defaults it wants changed; they are not ours to fix here.
    vi.spyOn(console, 'info').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);

    let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
    const server = createServer((req, res) => {
      seenPaths.push(req.url ?? '');
      handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const signingKey = {
      ...(await exportJWK(privateKey)),
      kid: 'op-key-1',
      alg: 'RS256',
      use: 'sig',
    };
    const oidc = new Provider(issuer, {
      jwks: { keys: [signingKey] },
      clients: [
        {
          client_id: MACHINE.id,
          client_secret: MACHINE.secret,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'orders:read orders:write',
        },
        {
          client_id: RESOURCE_SERVER.id,
          client_secret: RESOURCE_SERVER.secret,
          grant_types: [],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      scopes: ['orders:read', 'orders:write'],
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true, allowedPolicy: async () => true },
        revocation: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => undefined,
          useGrantedResource: async () => false,
          getResourceServerInfo: async (_ctx: unknown, resource: string) => {
            if (resource === JWT_RESOURCE) {
              return {
                scope: 'orders:read orders:write',
                audience: AUDIENCE,
                accessTokenFormat: 'jwt',
                accessTokenTTL: 600,
                jwt: { sign: { alg: 'RS256' } },
              };
            }
            if (resource === OPAQUE_RESOURCE) {
              return {
                scope: 'orders:read orders:write',
                audience: AUDIENCE,
                accessTokenFormat: 'opaque',
                accessTokenTTL: 600,
              };
            }
            throw new Error('unknown resource');
          },
        },
      },
      ttl: { ClientCredentials: 600, AccessToken: 600 },
    });
    handle = oidc.callback();
    close = () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    };

    portcullis = oauth2({
      issuer,
      audience: AUDIENCE,
      introspection: { clientId: RESOURCE_SERVER.id, clientSecret: RESOURCE_SERVER.secret },
      clientCredentials: { resource: JWT_RESOURCE, scope: 'orders:read' },
    });
    portcullis.init?.(context);
  });

  afterAll(async () => {
    await portcullis?.close?.();
    await close?.();
    vi.restoreAllMocks();
  });

  /** Get a token straight from the IdP, as a machine would. */
  async function tokenFor(resource: string, scope = 'orders:read'): Promise<string> {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: basicHeader(MACHINE.id, MACHINE.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string };
    return body.access_token;
  }

  it('discovers the endpoints from the issuer URL (oidc-provider answers RFC 8414)', async () => {
    const fresh = oauth2({ issuer, audience: AUDIENCE, clientCredentials: false });
    fresh.init?.(context);
    const token = await tokenFor(JWT_RESOURCE);
    const before = seenPaths.length;
    await fresh.verify(bearer(token), signal());
    await fresh.verify(bearer(token), signal());
    expect(seenPaths.slice(before)).toEqual(['/.well-known/oauth-authorization-server', '/jwks']);
  });

  it('verifies a JWT access token through its JWKS', async () => {
    const token = await tokenFor(JWT_RESOURCE, 'orders:read orders:write');
    expect(token.split('.')).toHaveLength(3);
    const result = await portcullis.verify(bearer(token), signal());
    expect(result.checkedOnline).toBe(false);
    expect(result.maxTtlMs).toBeGreaterThan(590_000);
    expect(result.maxTtlMs).toBeLessThanOrEqual(600_000);
    expect(result.principal).toMatchObject({
      clientId: MACHINE.id,
      ownerKind: 'client',
      credential: 'access_token',
      issuer,
      scopes: ['orders:read', 'orders:write'],
    });
  });

  it('exchanges Basic client credentials end to end', async () => {
    const result = await portcullis.verify(
      { form: 'basic', clientId: MACHINE.id, secret: MACHINE.secret },
      signal(),
    );
    expect(result.checkedOnline).toBe(true);
    expect(result.principal).toMatchObject({
      subject: MACHINE.id,
      clientId: MACHINE.id,
      credential: 'client_credentials',
      scopes: ['orders:read'],
      issuer,
    });
  });

  it('refuses a wrong client secret with ERR_CLIENT_CREDENTIALS_INVALID', async () => {
    const error = await rejection(
      portcullis.verify({ form: 'basic', clientId: MACHINE.id, secret: 'wrong' }, signal()),
    );
    expect(error).toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_INVALID',
      status: 401,
      details: { idpError: 'invalid_client' },
    });
  });

  it('introspects an opaque access token', async () => {
    const token = await tokenFor(OPAQUE_RESOURCE, 'orders:write');
    expect(token.split('.')).toHaveLength(1);
    const result = await portcullis.verify(
      { form: 'api-key', token, header: 'x-api-key' },
      signal(),
    );
    expect(result.checkedOnline).toBe(true);
    expect(result.principal).toMatchObject({
      clientId: MACHINE.id,
      scopes: ['orders:write'],
      issuer,
    });
  });

  it('rejects a token revoked at the IdP (RFC 7009) on the next verification', async () => {
    const token = await tokenFor(OPAQUE_RESOURCE);
    await expect(portcullis.verify(bearer(token), signal())).resolves.toBeDefined();
    const revoked = await fetch(`${issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: basicHeader(MACHINE.id, MACHINE.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    expect(revoked.status).toBe(200);
    const error = await rejection(portcullis.verify(bearer(token), signal()));
    expect(error).toMatchObject({ code: 'ERR_TOKEN_INACTIVE', status: 401 });
  });

  it('through the cache: a revoked token is refused after invalidate(), or once the TTL passes', async () => {
    let offsetMs = 0;
    const authenticator = createAuthenticator({
      provider: oauth2({
        issuer,
        audience: AUDIENCE,
        introspection: { clientId: RESOURCE_SERVER.id, clientSecret: RESOURCE_SERVER.secret },
        clientCredentials: false,
      }),
      cache: { ttlMs: 30_000 },
      now: () => Date.now() + offsetMs,
    });
    try {
      await authenticator.ready();
      const revokeAtIdp = async (token: string) => {
        const answer = await fetch(`${issuer}/token/revocation`, {
          method: 'POST',
          headers: {
            authorization: basicHeader(MACHINE.id, MACHINE.secret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        });
        expect(answer.status).toBe(200);
      };
      const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

      // invalidate(): the cached answer is dropped and the IdP asked again.
      const first = await tokenFor(OPAQUE_RESOURCE);
      await expect(authenticator.authenticate(request(first))).resolves.toMatchObject({
        clientId: MACHINE.id,
      });
      await revokeAtIdp(first);
      // Still the cached fact until something says otherwise (that is what the cache is for).
      await expect(authenticator.authenticate(request(first))).resolves.toBeDefined();
      await authenticator.invalidate({ clientId: MACHINE.id });
      expect(await rejection(authenticator.authenticate(request(first)))).toMatchObject({
        code: 'ERR_TOKEN_INACTIVE',
      });

      // TTL: without any invalidation, the next verification after the TTL asks the IdP.
      const second = await tokenFor(OPAQUE_RESOURCE);
      await expect(authenticator.authenticate(request(second))).resolves.toBeDefined();
      await revokeAtIdp(second);
      await expect(authenticator.authenticate(request(second))).resolves.toBeDefined();
      offsetMs = 31_000;
      expect(await rejection(authenticator.authenticate(request(second)))).toMatchObject({
        code: 'ERR_TOKEN_INACTIVE',
      });
    } finally {
      await authenticator.close();
    }
  });

  it('refuses a JWT the IdP issued for another audience', async () => {
    const other = oauth2({ issuer, audience: 'billing-api', clientCredentials: false });
    other.init?.(context);
    const error = await rejection(other.verify(bearer(await tokenFor(JWT_RESOURCE)), signal()));
    expect(error).toMatchObject({ code: 'ERR_TOKEN_CLAIM_INVALID', details: { claim: 'aud' } });
  });
});
