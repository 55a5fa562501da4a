/**
 * Black-box: a CommonJS consumer `require()`s the built package (Node ≥ 20.19 loads ESM through
 * require) and protects a route with it. Builds core and express first (`tsc -b`).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

// Plain CommonJS, as a consumer writes it. The provider accepts one fixed token: this test is
// about loading and wiring the package through require(), not about verification.
const consumer = String.raw`
const http = require('node:http');
const express = require('express');
const { createAuthenticator, PortcullisError } = require('@portcullis/core');
const { m2mAuth, requirePermissions } = require('@portcullis/express');
const { M2MBearerStrategy, M2MBasicStrategy } = require('@portcullis/express/passport');

const provider = {
  name: 'fixed',
  async verify(credential) {
    if (credential.form === 'bearer' && credential.token === 'good-token') {
      return {
        checkedOnline: true,
        principal: Object.freeze({ subject: 'cjs-client', ownerKind: 'client', credential: 'access_token',
          permissions: ['orders:read'], roles: [], scopes: [], claims: {} }),
      };
    }
    throw new PortcullisError('ERR_TOKEN_INACTIVE', 'token is not active');
  },
};

(async () => {
  const authenticator = createAuthenticator({ provider, policy: { enabled: true, acceptedCredentials: ['access_token'] } });
  await authenticator.ready();
  const strategies = [new M2MBearerStrategy(authenticator).name, new M2MBasicStrategy(authenticator).name];
  const app = express();
  app.get('/orders', m2mAuth(authenticator), requirePermissions('orders:read'), (req, res) => res.json({ subject: req.auth.subject }));
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = 'http://127.0.0.1:' + server.address().port + '/orders';
  const anonymous = await fetch(url);
  const good = await fetch(url, { headers: { authorization: 'Bearer good-token' } });
  console.log(JSON.stringify({
    strategies,
    anonymous: { status: anonymous.status, challenge: anonymous.headers.get('www-authenticate') },
    good: { status: good.status, body: await good.json() },
  }));
  server.close();
  await authenticator.close();
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('CommonJS consumers', () => {
  beforeAll(async () => {
    await run('npx', ['tsc', '-b', 'packages/core', 'packages/express'], {
      cwd: repoRoot,
      timeout: 120_000,
    });
  }, 150_000);

  it(`require('@portcullis/express') works on Node ${process.version}`, async () => {
    const { stdout, stderr } = await run(process.execPath, ['-e', consumer], {
      cwd: repoRoot,
      timeout: 30_000,
    });
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      strategies: ['m2m-bearer', 'm2m-basic'],
      anonymous: { status: 401, challenge: 'Bearer realm="api"' },
      good: { status: 200, body: { subject: 'cjs-client' } },
    });
  });
});
