import express from 'express';
import express4 from 'express4';
import type { Request, Response } from 'express';
import passportModule from 'passport';
import { Strategy } from 'passport-strategy';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authenticator } from '@portcullis/core';
import { m2mAuth, m2mErrorHandler, requirePermissions } from '../src/index.js';
import { M2MBasicStrategy, M2MBearerStrategy } from '../src/passport/index.js';
import { authenticatorFor, basic, challengeSchemes, serve } from './support/harness.js';
import type { Served } from './support/harness.js';
import { startTestIdp } from './support/test-idp.js';
import type { TestIdp } from './support/test-idp.js';

const { Passport } = passportModule;

let idp: TestIdp;
let authenticator: Authenticator;
let middleware: Served;
let strategies: Served;
let strategies4: Served;

const echo = (req: Request, res: Response): void => {
  const user = req.user as { subject?: string } | undefined;
  res.json({ user: user?.subject ?? null, auth: req.auth?.subject ?? null });
};

/** The same Passport app on Express 5 or 4. */
function strategiesApp(framework: typeof express): express.Express {
  const pp = new Passport();
  pp.use(new M2MBearerStrategy(authenticator));
  pp.use(new M2MBasicStrategy(authenticator));
  const app = framework();
  app.use(framework.urlencoded({ extended: false }));
  app.use(pp.initialize());
  app.all('/orders', pp.authenticate(['m2m-bearer', 'm2m-basic'], { session: false }), echo);
  app.all('/reversed', pp.authenticate(['m2m-basic', 'm2m-bearer'], { session: false }), echo);
  app.all(
    '/json',
    pp.authenticate(['m2m-bearer', 'm2m-basic'], { session: false, failWithError: true }),
    echo,
  );
  app.get(
    '/guarded',
    pp.authenticate(['m2m-bearer', 'm2m-basic'], { session: false }),
    requirePermissions('orders:write'),
    echo,
  );
  app.use(m2mErrorHandler());
  return app;
}

beforeAll(async () => {
  idp = await startTestIdp();
  authenticator = await authenticatorFor(idp);
  idp.addClient({ clientId: 'pp-good', secret: 'pa:ss', claims: { permissions: ['orders:read'] } });
  idp.addClient({ clientId: 'pp-down', secret: 'pw', claims: {} });

  const mw = express();
  mw.use(express.urlencoded({ extended: false }));
  mw.all('/orders', m2mAuth(authenticator), echo);
  middleware = await serve(mw);

  strategies = await serve(strategiesApp(express));
  strategies4 = await serve(strategiesApp(express4));
});

afterAll(async () => {
  await middleware.close();
  await strategies.close();
  await strategies4.close();
  await authenticator.close();
  await idp.close();
});

// A supertest Test is itself a promise of its response; async builders resolve to that response.
type Build = (test: request.Test) => PromiseLike<request.Response>;

const cases: ReadonlyArray<readonly [string, Build]> = [
  ['no credential', (t) => t],
  ['malformed bearer', (t) => t.set('Authorization', 'Bearer a b')],
  ['malformed basic', (t) => t.set('Authorization', 'Basic !!!')],
  ['unknown scheme', (t) => t.set('Authorization', 'Digest abc')],
  [
    'bearer and api key',
    async (t) => {
      const token = await idp.mint({});
      return t.set('Authorization', `Bearer ${token}`).set('X-API-Key', token);
    },
  ],
  [
    'basic and api key',
    async (t) =>
      t.set('Authorization', basic('pp-good', 'pa:ss')).set('X-API-Key', await idp.mint({})),
  ],
  ['query token', async (t) => t.query({ access_token: await idp.mint({}) })],
  ['form body token', async (t) => t.type('form').send({ access_token: await idp.mint({}) })],
  [
    'invalid signature',
    async (t) => t.set('Authorization', `Bearer ${await idp.mint({}, await idp.foreignKey())}`),
  ],
  [
    'expired',
    async (t) =>
      t.set('Authorization', `Bearer ${await idp.mint({ issuedAgoSec: 7200, expiresInSec: -60 })}`),
  ],
  ['wrong client secret', (t) => t.set('Authorization', basic('pp-good', 'nope'))],
  ['valid bearer', async (t) => t.set('Authorization', `Bearer ${await idp.mint({ sub: 'b1' })}`)],
  ['valid api key', async (t) => t.set('X-API-Key', await idp.mint({ sub: 'k1' }))],
  ['valid basic', (t) => t.set('Authorization', basic('pp-good', 'pa:ss'))],
];

async function send(server: Served, path: string, build: Build): Promise<request.Response> {
  return build(request(server.server).post(path));
}

describe('M2MBearerStrategy + M2MBasicStrategy give the middleware answers (Express 5 and 4)', () => {
  it.each(cases)('%s: same status and challenges', async (_name, build) => {
    const expected = await send(middleware, '/orders', build);
    for (const [server, path] of [
      [strategies, '/orders'],
      [strategies, '/reversed'],
      [strategies4, '/orders'],
    ] as const) {
      const actual = await send(server, path, build);
      expect(actual.status, path).toBe(expected.status);
      if (expected.status === 200) {
        // Passport sets req.user, and the strategies also set req.auth so guards work.
        expect(actual.body.auth).toBe(expected.body.auth);
        expect(actual.body.user).toBe(expected.body.auth);
        expect(expected.body.auth).not.toBeNull();
      }
      if (expected.status === 401) {
        expect(challengeSchemes(actual.headers['www-authenticate']).sort()).toEqual(
          challengeSchemes(expected.headers['www-authenticate']).sort(),
        );
        expect(String(actual.headers['www-authenticate'])).toContain(
          expected.body.code === 'ERR_NO_CREDENTIAL' ? 'realm="api"' : 'error="invalid_token"',
        );
      }
    }
  });

  it.each(cases)(
    '%s: with failWithError + m2mErrorHandler the answer is identical',
    async (_name, build) => {
      const expected = await send(middleware, '/orders', build);
      for (const server of [strategies, strategies4]) {
        const actual = await send(server, '/json', build);
        expect(actual.status).toBe(expected.status);
        expect(actual.body.auth).toEqual(expected.body.auth);
        for (const key of ['error', 'error_description', 'code']) {
          expect(actual.body[key], key).toEqual(expected.body[key]);
        }
        expect(actual.headers['www-authenticate']).toBe(expected.headers['www-authenticate']);
      }
    },
  );

  it('turns an IdP outage into a Passport error rendered as 503 + Retry-After', async () => {
    idp.fault = 'down';
    try {
      const res = await request(strategies.server)
        .get('/orders')
        .set('Authorization', basic('pp-down', 'pw'));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('7');
      expect(res.body).toMatchObject({
        error: 'temporarily_unavailable',
        code: 'ERR_IDP_UNAVAILABLE',
      });
    } finally {
      idp.fault = 'none';
    }
  });

  it('lets the route guards run on the principal the strategies set', async () => {
    const res = await request(strategies.server)
      .get('/guarded')
      .set('Authorization', basic('pp-good', 'pa:ss'));
    expect(res.status).toBe(403);
    expect(res.body.error_description).toContain('orders:write');
  });
});

describe('while the policy accepts access tokens only', () => {
  it('offers no Basic challenge, like the middleware', async () => {
    const tokensOnly = await authenticatorFor(idp, { acceptedCredentials: ['access_token'] });
    const pp = new Passport();
    pp.use(new M2MBearerStrategy(tokensOnly));
    pp.use(new M2MBasicStrategy(tokensOnly));
    const app = express();
    app.get('/mw', m2mAuth(tokensOnly), echo);
    app.get('/pp', pp.authenticate(['m2m-bearer', 'm2m-basic'], { session: false }), echo);
    const local = await serve(app);
    try {
      const mw = await request(local.server).get('/mw');
      const pp401 = await request(local.server).get('/pp');
      expect(mw.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(pp401.status).toBe(401);
      expect(pp401.headers['www-authenticate']).toBe('Bearer realm="api"');
    } finally {
      await local.close();
      await tokensOnly.close();
    }
  });
});

describe('strategy construction', () => {
  it('names the strategies, both passport-strategy strategies', () => {
    const bearer = new M2MBearerStrategy(authenticator);
    expect(bearer.name).toBe('m2m-bearer');
    expect(bearer).toBeInstanceOf(Strategy);
    const basicStrategy = new M2MBasicStrategy(authenticator);
    expect(basicStrategy.name).toBe('m2m-basic');
    expect(basicStrategy).toBeInstanceOf(Strategy);
  });

  it.each([
    [() => new M2MBearerStrategy({} as never), 'M2MBearerStrategy.authenticator'],
    [() => new M2MBasicStrategy(authenticator, { realm: 'x"y' }), 'M2MBasicStrategy.realm'],
    [
      () => new M2MBearerStrategy(authenticator, { scope: 'x' } as never),
      'M2MBearerStrategy.scope',
    ],
    [
      () => new M2MBearerStrategy(authenticator, { apiKeyHeader: 'bad header' }),
      'credentials.apiKeyHeader',
    ],
  ])('refuses bad options (%#)', (build, option) => {
    expect(build).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', details: { option } }),
    );
  });
});
