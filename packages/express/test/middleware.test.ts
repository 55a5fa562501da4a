import express5 from 'express';
import type { NextFunction, Request, Response } from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authenticator } from '@portcullis/core';
import { m2mAuth, m2mErrorHandler, requireTenant } from '../src/index.js';
import { authenticatorFor, basic, serve } from './support/harness.js';
import type { Served } from './support/harness.js';
import { startTestIdp } from './support/test-idp.js';
import type { TestIdp } from './support/test-idp.js';

const frameworks = [
  ['Express 5', express5],
  ['Express 4', express4],
] as const;

let idp: TestIdp;
let authenticator: Authenticator;

beforeAll(async () => {
  idp = await startTestIdp();
  authenticator = await authenticatorFor(idp);
});

afterAll(async () => {
  await authenticator.close();
  await idp.close();
});

function protectedApp(express: typeof express5): express5.Express {
  const app = express();
  const echo = (req: Request, res: Response): void => {
    res.json({
      subject: req.auth?.subject,
      credential: req.auth?.credential,
      tenantId: req.auth?.tenantId,
    });
  };
  app.get('/orders', m2mAuth(authenticator), echo);
  app.post('/form', express.urlencoded({ extended: false }), m2mAuth(authenticator), echo);
  app.get(
    '/admin',
    m2mAuth(authenticator, { requirements: { permissions: ['orders:admin'] } }),
    echo,
  );
  app.get(
    '/tenants/:tenantId/orders',
    m2mAuth(authenticator),
    requireTenant((req) => req.params['tenantId']),
    echo,
  );
  app.get('/tokens-only', m2mAuth(authenticator, { acceptedCredentials: ['access_token'] }), echo);
  return app;
}

describe.each(frameworks)('m2mAuth on %s', (_name, express) => {
  let served: Served;
  beforeAll(async () => {
    served = await serve(protectedApp(express));
  });
  afterAll(async () => served.close());

  it('sets req.auth and calls next() for a valid bearer token', async () => {
    const token = await idp.mint({ sub: 'svc-a', tenantId: 't1' });
    const res = await request(served.server).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ subject: 'svc-a', credential: 'access_token', tenantId: 't1' });
  });

  it('accepts the token in X-API-Key', async () => {
    const token = await idp.mint({ sub: 'svc-key' });
    const res = await request(served.server).get('/orders').set('X-API-Key', token);
    expect(res.status).toBe(200);
    expect(res.body.subject).toBe('svc-key');
  });

  it('accepts client credentials in Basic and calls the IdP once for repeated requests', async () => {
    idp.addClient({ clientId: `cc-${_name}`, secret: 's3cr:et', claims: { tenantId: 't1' } });
    const before = idp.tokenCalls;
    for (let i = 0; i < 3; i += 1) {
      const res = await request(served.server)
        .get('/orders')
        .set('Authorization', basic(`cc-${_name}`, 's3cr:et'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        subject: `cc-${_name}`,
        credential: 'client_credentials',
        tenantId: 't1',
      });
    }
    expect(idp.tokenCalls - before).toBe(1);
  });

  it('answers 401 with Bearer and Basic challenges and no error code when no credential is sent', async () => {
    const res = await request(served.server).get('/orders');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api", Basic realm="api"');
    expect(res.body).toMatchObject({ error: 'unauthorized', code: 'ERR_NO_CREDENTIAL' });
    expect(typeof res.body.error_description).toBe('string');
  });

  it('answers 400 invalid_request for a malformed Authorization header', async () => {
    const res = await request(served.server).get('/orders').set('Authorization', 'Bearer a b c');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', code: 'ERR_MALFORMED_CREDENTIAL' });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_request"/);
  });

  it('answers 400 for two credentials (Authorization and X-API-Key)', async () => {
    const token = await idp.mint({});
    const res = await request(served.server)
      .get('/orders')
      .set('Authorization', `Bearer ${token}`)
      .set('X-API-Key', token);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', code: 'ERR_MULTIPLE_CREDENTIALS' });
  });

  it('answers 400 for two Authorization headers (seen through rawHeaders)', async () => {
    const token = await idp.mint({});
    const res = await request(served.server)
      .get('/orders')
      .set('Authorization', [`Bearer ${token}`, basic('x', 'y')] as never);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_MULTIPLE_CREDENTIALS');
  });

  it('answers 400 for access_token in the query string, even next to a valid header', async () => {
    const token = await idp.mint({});
    const res = await request(served.server)
      .get(`/orders?access_token=${token}`)
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', code: 'ERR_TOKEN_IN_QUERY' });
  });

  it('answers 400 for access_token in a parsed form body', async () => {
    const token = await idp.mint({});
    const res = await request(served.server)
      .post('/form')
      .type('form')
      .send({ access_token: token });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', code: 'ERR_TOKEN_IN_QUERY' });
  });

  it('answers 401 invalid_token for a token signed by another key', async () => {
    const token = await idp.mint({}, await idp.foreignKey());
    const res = await request(served.server).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_token' });
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="invalid_token", error_description="[^"]+", Basic realm="api"$/,
    );
  });

  it('answers 401 invalid_token for an expired token', async () => {
    const token = await idp.mint({ issuedAgoSec: 7200, expiresInSec: -3600 });
    const res = await request(served.server).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_token', code: 'ERR_TOKEN_EXPIRED' });
  });

  it('answers 401 invalid_token for wrong client credentials', async () => {
    idp.addClient({ clientId: `wrong-${_name}`, secret: 'right', claims: {} });
    const res = await request(served.server)
      .get('/orders')
      .set('Authorization', basic(`wrong-${_name}`, 'wrong'));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      error: 'invalid_token',
      code: 'ERR_CLIENT_CREDENTIALS_INVALID',
    });
  });

  it('answers 403 insufficient_scope naming the missing permission', async () => {
    const token = await idp.mint({ permissions: ['orders:read'] });
    const res = await request(served.server).get('/admin').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'insufficient_scope', code: 'ERR_INSUFFICIENT_SCOPE' });
    expect(res.body.error_description).toContain('orders:admin');
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
    const allowed = await idp.mint({ permissions: ['orders:admin'] });
    const ok = await request(served.server).get('/admin').set('Authorization', `Bearer ${allowed}`);
    expect(ok.status).toBe(200);
  });

  it('answers 403 when the token belongs to another tenant than the route names', async () => {
    const token = await idp.mint({ tenantId: 't1' });
    const other = await request(served.server)
      .get('/tenants/t2/orders')
      .set('Authorization', `Bearer ${token}`);
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ error: 'insufficient_scope' });
    expect(other.body.error_description).toMatch(/tenant/);
    const own = await request(served.server)
      .get('/tenants/t1/orders')
      .set('Authorization', `Bearer ${token}`);
    expect(own.status).toBe(200);
  });

  it('refuses client credentials on a mount that accepts access tokens only', async () => {
    idp.addClient({ clientId: `only-${_name}`, secret: 'pw', claims: {} });
    const res = await request(served.server)
      .get('/tokens-only')
      .set('Authorization', basic(`only-${_name}`, 'pw'));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('ERR_CREDENTIAL_KIND_NOT_ACCEPTED');
    const none = await request(served.server).get('/tokens-only');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('answers 503 with Retry-After, never 401, when the IdP is down', async () => {
    idp.addClient({ clientId: `down-${_name}`, secret: 'pw', claims: {} });
    idp.fault = 'down';
    try {
      const res = await request(served.server)
        .get('/orders')
        .set('Authorization', basic(`down-${_name}`, 'pw'));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('7');
      expect(res.body).toMatchObject({ code: 'ERR_IDP_UNAVAILABLE' });
    } finally {
      idp.fault = 'none';
    }
    // IdP failures are not cached: the same credential works once the IdP is back.
    const again = await request(served.server)
      .get('/orders')
      .set('Authorization', basic(`down-${_name}`, 'pw'));
    expect(again.status).toBe(200);
  });
});

describe.each(frameworks)('m2mAuth inside a mounted router on %s', (_name, express) => {
  it('still sees the query string and the full path', async () => {
    const router = express.Router();
    router.use(m2mAuth(authenticator));
    router.get('/orders', (req, res) => void res.json({ subject: req.auth?.subject }));
    const app = express();
    app.use('/api/v1', router);
    const local = await serve(app);
    try {
      const token = await idp.mint({ sub: 'routed' });
      const ok = await request(local.server)
        .get('/api/v1/orders')
        .set('Authorization', `Bearer ${token}`);
      expect(ok.body).toEqual({ subject: 'routed' });
      const query = await request(local.server)
        .get(`/api/v1/orders?access_token=${token}`)
        .set('Authorization', `Bearer ${token}`);
      expect(query.status).toBe(400);
      expect(query.body.code).toBe('ERR_TOKEN_IN_QUERY');
    } finally {
      await local.close();
    }
  });
});

describe.each(frameworks)('m2mAuth passErrors on %s', (_name, express) => {
  let served: Served;
  const seen: unknown[] = [];
  let nextCalls = 0;

  beforeAll(async () => {
    const app = express();
    app.get(
      '/orders',
      m2mAuth(authenticator, {
        passErrors: true,
        requirements: { permissions: ['orders:read'] },
      }),
      (_req, res) => {
        nextCalls += 1;
        res.json({ ok: true });
      },
    );
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      seen.push(err);
      // Proves the middleware wrote nothing: no status, no challenge header yet.
      res.status(418).json({ headersBefore: res.getHeader('www-authenticate') ?? null });
    });
    served = await serve(app);
  });
  afterAll(async () => served.close());

  it('calls next(err) exactly once with the PortcullisError and writes no response', async () => {
    seen.length = 0;
    const res = await request(served.server).get('/orders');
    expect(res.status).toBe(418);
    expect(res.body).toEqual({ headersBefore: null });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      name: 'PortcullisError',
      code: 'ERR_NO_CREDENTIAL',
      status: 401,
    });
  });

  it('passes authorization failures the same way, once', async () => {
    seen.length = 0;
    const token = await idp.mint({ permissions: ['other'] });
    const res = await request(served.server).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(418);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ code: 'ERR_INSUFFICIENT_SCOPE' });
  });

  it('calls next() once and never the error handler on success', async () => {
    seen.length = 0;
    nextCalls = 0;
    const token = await idp.mint({ permissions: ['orders:read'] });
    const res = await request(served.server).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(nextCalls).toBe(1);
    expect(seen).toHaveLength(0);
  });
});

describe('m2mErrorHandler with passErrors', () => {
  it('renders exactly what the answering mode sends', async () => {
    const direct = express5();
    direct.get('/x', m2mAuth(authenticator, { realm: 'orders' }), (_req, res) => res.end());
    const passing = express5();
    passing.get('/x', m2mAuth(authenticator, { realm: 'orders', passErrors: true }), (_req, res) =>
      res.end(),
    );
    passing.use(m2mErrorHandler());
    const [a, b] = [await serve(direct), await serve(passing)];
    try {
      const expired = await idp.mint({ issuedAgoSec: 7200, expiresInSec: -3600 });
      for (const auth of [undefined, 'Bearer a b', `Bearer ${expired}`]) {
        const send = (s: Served) => {
          const r = request(s.server).get('/x');
          return auth === undefined ? r : r.set('Authorization', auth);
        };
        const [ra, rb] = [await send(a), await send(b)];
        expect(rb.status).toBe(ra.status);
        expect(rb.headers['www-authenticate']).toBe(ra.headers['www-authenticate']);
        expect(rb.body).toEqual(ra.body);
        expect(ra.headers['www-authenticate']).toContain('realm="orders"');
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('m2mAuth options', () => {
  it.each([
    [{ realm: 'a"b' }, 'm2mAuth.realm'],
    [{ realm: '' }, 'm2mAuth.realm'],
    [{ passErrors: 'yes' }, 'm2mAuth.passErrors'],
    [{ permissions: ['orders:read'] }, 'm2mAuth.permissions'],
    [{ requirements: { permission: ['orders:read'] } }, 'm2mAuth.requirements.permission'],
    [{ requirements: { permissions: [] } }, 'm2mAuth.requirements.permissions'],
    [{ requirements: { ownerKind: 'robot' } }, 'm2mAuth.requirements.ownerKind[0]'],
    [{ acceptedCredentials: ['password'] }, 'm2mAuth.acceptedCredentials[0]'],
  ])('refuses %j at construction, naming %s', (options, option) => {
    expect(() => m2mAuth(authenticator, options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', details: { option } }),
    );
  });

  it('refuses something that is not an authenticator', () => {
    expect(() => m2mAuth({} as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', details: { option: 'authenticator' } }),
    );
  });
});
