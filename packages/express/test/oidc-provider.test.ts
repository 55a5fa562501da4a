/**
 * End to end against a real third-party OAuth 2.0 server (panva's oidc-provider) through the
 * `oauth2` preset: client credentials in Basic, the JWT access tokens it issues as Bearer, scope
 * guards, the Passport strategies, and the server going away → 503.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Request, Response } from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import passportModule from 'passport';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, oauth2 } from '@portcullis/core';
import type { Authenticator } from '@portcullis/core';
import { m2mAuth, m2mErrorHandler, requireScopes } from '../src/index.js';
import { M2MBasicStrategy, M2MBearerStrategy } from '../src/passport/index.js';
import { basic, serve } from './support/harness.js';
import type { Served } from './support/harness.js';

const RESOURCE = 'https://orders.example.test';
const CLIENT = { id: 'orders-client', secret: `secret-${crypto.randomUUID()}` };

let idpServer: Server;
let issuer: string;
let authenticator: Authenticator;
let app: Served;

async function startOidcProvider(): Promise<void> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'oidc-test', alg: 'RS256', use: 'sig' };
  // The issuer URL needs the port, and the provider needs the issuer: bind the handler late.
  const route: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  idpServer = createServer((req, res) => route.handler!(req, res));
  await new Promise<void>((resolve) => idpServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk as never] },
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'orders:read',
      },
    ],
    scopes: ['orders:read', 'orders:write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'orders:read orders:write',
          audience: RESOURCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  route.handler = provider.callback();
}

async function tokenFromProvider(): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: basic(CLIENT.id, CLIENT.secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
  });
  const body = (await response.json()) as { access_token?: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.access_token!;
}

beforeAll(async () => {
  await startOidcProvider();
  authenticator = createAuthenticator({
    provider: oauth2({
      issuer,
      audience: RESOURCE,
      clientCredentials: { scope: 'orders:read' },
    }),
    policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
  });
  await authenticator.ready();

  const passport = new passportModule.Passport();
  passport.use(new M2MBearerStrategy(authenticator));
  passport.use(new M2MBasicStrategy(authenticator));
  const who = (req: Request, res: Response): void =>
    void res.json({
      clientId: req.auth?.clientId,
      credential: req.auth?.credential,
      scopes: req.auth?.scopes,
    });
  const server = express();
  server.get('/orders', m2mAuth(authenticator), requireScopes('orders:read'), who);
  server.get('/orders/write', m2mAuth(authenticator), requireScopes('orders:write'), who);
  server.get(
    '/passport/orders',
    passport.authenticate(['m2m-bearer', 'm2m-basic'], { session: false, failWithError: true }),
    requireScopes('orders:read'),
    who,
  );
  server.use(m2mErrorHandler());
  app = await serve(server);
});

afterAll(async () => {
  await app?.close();
  await authenticator?.close();
  idpServer?.closeAllConnections();
  await new Promise<void>((resolve) => (idpServer ? idpServer.close(() => resolve()) : resolve()));
});

describe('oauth2 preset against oidc-provider', () => {
  it('accepts client credentials in Basic (exchanged at the token endpoint)', async () => {
    const res = await request(app.server)
      .get('/orders')
      .set('Authorization', basic(CLIENT.id, CLIENT.secret));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ clientId: CLIENT.id, credential: 'client_credentials' });
    expect(res.body.scopes).toContain('orders:read');
  });

  it('accepts the JWT access token the server issued, as Bearer, through both surfaces', async () => {
    const token = await tokenFromProvider();
    for (const path of ['/orders', '/passport/orders']) {
      const res = await request(app.server).get(path).set('Authorization', `Bearer ${token}`);
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.clientId).toBe(CLIENT.id);
    }
  });

  it('refuses a scope the token lacks with 403 and the scope in the challenge', async () => {
    const token = await tokenFromProvider();
    const res = await request(app.server)
      .get('/orders/write')
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('scope="orders:write"');
  });

  it('refuses a wrong client secret with 401 invalid_token, the same on both surfaces', async () => {
    for (const path of ['/orders', '/passport/orders']) {
      const res = await request(app.server)
        .get(path)
        .set('Authorization', basic(CLIENT.id, 'wrong'));
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
    }
  });

  // Last: stops the authorization server.
  it('answers 503 + Retry-After once the authorization server is gone', async () => {
    idpServer.closeAllConnections();
    await new Promise<void>((resolve) => idpServer.close(() => resolve()));
    for (const path of ['/orders', '/passport/orders']) {
      const res = await request(app.server)
        .get(path)
        .set('Authorization', basic(CLIENT.id, `other-${crypto.randomUUID()}`));
      expect(res.status, path).toBe(503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
  });
});
