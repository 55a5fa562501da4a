/**
 * Scenario 1: the cost of authenticating a request inside an Express 5 app, per request, against
 * the same route with no authentication at all.
 */
import { config } from '../lib/config.mjs';
import { serverPath, startServer } from '../lib/child.mjs';
import { compareInterleaved, expectOk } from '../lib/compare.mjs';
import { basicHeader } from '../lib/emulator.mjs';
import { BENCH_AUDIENCE, BENCH_ISSUER } from '../lib/jwks.mjs';

export async function runMiddleware({ env, log }) {
  const { seeded, issuer } = env;
  const peerJwt = await issuer.sign({}, seeded.apiToken.jwt.length);
  const common = { issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE, jwksUri: issuer.jwksUri };
  const start = (variant) =>
    startServer(serverPath('middleware.mjs'), {
      core: config.serverCore,
      args: { variant, provider: seeded.provider, ...common },
    });

  const servers = {};
  try {
    for (const variant of [
      'bare',
      'noop-async',
      'ideal',
      'portcullis',
      'auth0',
      'frontegg',
      'passport',
    ]) {
      servers[variant] = await start(variant);
    }
    const url = (variant) => `${servers[variant].url}/orders`;
    const bearer = (token) => ({ authorization: `Bearer ${token}` });
    const cases = [
      {
        name: 'bare',
        label: 'bare Express 5 route',
        variant: 'bare',
        headers: bearer(seeded.apiToken.jwt),
      },
      {
        name: 'noop-async',
        label: 'reference: a middleware calling next() from a promise',
        variant: 'noop-async',
        headers: bearer(seeded.apiToken.jwt),
      },
      {
        name: 'ideal',
        label: 'reference: ideal cached verifier (sha256, Map, expiry, promise)',
        variant: 'ideal',
        headers: bearer(seeded.apiToken.jwt),
      },
      {
        name: 'portcullis-jwt',
        label: 'm2mAuth, cached JWT (Bearer)',
        variant: 'portcullis',
        headers: bearer(seeded.apiToken.jwt),
      },
      {
        name: 'portcullis-basic',
        label: 'm2mAuth, cached Basic credential',
        variant: 'portcullis',
        headers: { authorization: basicHeader(seeded.apiToken) },
      },
      {
        name: 'portcullis-access-token',
        label: 'm2mAuth, cached access token (X-API-Key)',
        variant: 'portcullis',
        headers: { 'x-api-key': seeded.accessToken },
      },
      {
        name: 'express-oauth2-jwt-bearer',
        label: 'express-oauth2-jwt-bearer (local JWKS)',
        variant: 'auth0',
        headers: bearer(peerJwt),
      },
      {
        name: 'frontegg-client',
        label: '@frontegg/client withAuthentication',
        variant: 'frontegg',
        headers: bearer(seeded.apiToken.jwt),
      },
      {
        name: 'passport-jose',
        label: 'passport-http-bearer + jose jwtVerify',
        variant: 'passport',
        headers: bearer(peerJwt),
      },
    ].map((c) => ({ ...c, url: url(c.variant), pid: servers[c.variant].pid }));
    for (const c of cases) await expectOk(c.url, c.headers);
    log(
      `  JWT sizes: portcullis/frontegg ${seeded.apiToken.jwt.length} B, peers ${peerJwt.length} B`,
    );
    const results = await compareInterleaved(cases, 'bare', log);
    return {
      jwtBytes: { emulator: seeded.apiToken.jwt.length, peers: peerJwt.length },
      cases: results,
    };
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}
