/** Conformance runners #2 and #3: the Express middleware and the Passport strategies. */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import passport from 'passport';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createAuthenticator, frontegg } from '@portcullis/core';
import type { Authenticator } from '@portcullis/core';
import { m2mAuth, m2mErrorHandler, requirePermissions, requireTenant } from '@portcullis/express';
import { M2MBasicStrategy, M2MBearerStrategy } from '@portcullis/express/passport';
import { assertAnswer } from './assert.js';
import { CONFORMANCE_CASES } from './cases.js';
import { startConformanceEnv } from './env.js';
import type { ConformanceEnv } from './env.js';
import { callOverHttp } from './http-surface.js';

let env: ConformanceEnv;
let authenticator: Authenticator;
const servers: Server[] = [];

/** The abstract conformance routes, behind whatever authentication step `authenticate` is. */
function appWith(authenticate: express.RequestHandler[]): express.Express {
  const app = express();
  app.use(...authenticate);
  const echo: express.RequestHandler = (req, res) => {
    res.json(req.auth);
  };
  app.get('/protected', echo);
  app.get('/needs-permission', requirePermissions('reports:export'), echo);
  app.get('/has-permission', requirePermissions('orders:read'), echo);
  app.get(
    '/tenants/:tenantId/data',
    requireTenant((req) => req.params['tenantId']),
    echo,
  );
  app.use(m2mErrorHandler());
  return app;
}

async function listen(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let middlewareUrl: string;
let passportUrl: string;

beforeAll(async () => {
  env = await startConformanceEnv();
  authenticator = createAuthenticator({
    provider: frontegg(env.provider),
    policy: { acceptedCredentials: ['client_credentials', 'access_token'] },
  });
  await authenticator.ready();
  middlewareUrl = await listen(appWith([m2mAuth(authenticator)]));

  const strategies = new passport.Passport();
  strategies.use(new M2MBearerStrategy(authenticator));
  strategies.use(new M2MBasicStrategy(authenticator));
  passportUrl = await listen(
    appWith([
      strategies.initialize(),
      strategies.authenticate(['m2m-bearer', 'm2m-basic'], {
        session: false,
        failWithError: true,
      }),
    ]),
  );
});

afterAll(async () => {
  for (const server of servers) server.close();
  await authenticator?.close();
  await env?.close();
});

const identityFromJson = (body: any): Record<string, unknown> | undefined => body;

describe('conformance: express middleware', () => {
  for (const testCase of CONFORMANCE_CASES) {
    it(testCase.name, async () => {
      const answer = await callOverHttp(
        middlewareUrl,
        testCase.request(env.credentials),
        identityFromJson,
      );
      assertAnswer(answer, testCase.expect(env.credentials), testCase.name);
    });
  }
});

describe('conformance: passport strategies', () => {
  for (const testCase of CONFORMANCE_CASES) {
    it(testCase.name, async () => {
      const answer = await callOverHttp(
        passportUrl,
        testCase.request(env.credentials),
        identityFromJson,
      );
      assertAnswer(answer, testCase.expect(env.credentials), testCase.name);
    });
  }
});
