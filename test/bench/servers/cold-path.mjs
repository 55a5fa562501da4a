/**
 * Scenario 3, in one pinned process: first-seen RS256 JWTs (distinct each request) through core's
 * authenticator (oauth2 preset, local JWKS) vs raw jose `jwtVerify` against the same key.
 * Commands over IPC: `round` → CPU µs per token and tokens/s for both, on fresh tokens.
 */
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:http';
import { createAuthenticator, oauth2 } from '@portcullis/core';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { childArgs, exitOnSignal, reportFatal, reportReady } from '../lib/child.mjs';

const { tokensPerRound, rounds, concurrency, jwtBytes } = childArgs();
const ISSUER = 'https://issuer.cold.test/';
const AUDIENCE = 'https://api.cold.test';

async function main() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'cold', alg: 'RS256', use: 'sig' };
  const jwks = { keys: [jwk] };
  const jwksServer = createServer((_req, res) => res.end(JSON.stringify(jwks)));
  await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${jwksServer.address().port}/jwks`;

  const pad = 'x'.repeat(Math.max(0, Math.floor(((jwtBytes - 560) * 3) / 4)));
  let serial = 0;
  const sign = () =>
    new SignJWT({ scope: 'orders:read', tenant_id: 'cold-tenant', pad })
      .setProtectedHeader({ alg: 'RS256', kid: 'cold', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(`client-${serial++}`)
      .setJti(`jti-${serial}`)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);

  // Every token is used exactly once, by one of the two contenders.
  const total = tokensPerRound * rounds * 2 + 200;
  const tokens = [];
  for (let i = 0; i < total; i++) tokens.push(await sign());
  let next = 0;
  const take = (n) => tokens.slice(next, (next += n));

  const authenticator = createAuthenticator({
    provider: oauth2({ issuer: ISSUER, audience: AUDIENCE, discovery: false, jwksUri }),
    policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
    cache: { maxEntries: total + 10 },
  });
  await authenticator.ready();
  const localKeys = createLocalJWKSet(jwks);
  const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] };

  const contenders = {
    portcullis: (token) =>
      authenticator.authenticate({ headers: { authorization: `Bearer ${token}` }, url: '/orders' }),
    jose: (token) => jwtVerify(token, localKeys, options),
  };

  async function drive(name, batch) {
    let index = 0;
    const worker = async () => {
      while (index < batch.length) await contenders[name](batch[index++]);
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      cpuUsPerToken: (cpu.user + cpu.system) / batch.length,
      tokensPerSec: batch.length / seconds,
    };
  }

  // Warm-up (JIT, JWKS fetch) on tokens never measured.
  await drive('portcullis', take(100));
  await drive('jose', take(100));
  const before = authenticator.stats();

  process.on('message', async (message) => {
    if (message?.type !== 'round') return;
    const order = message.order ?? ['portcullis', 'jose'];
    const result = {};
    for (const name of order) result[name] = await drive(name, take(tokensPerRound));
    process.send({ type: 'round:done', result });
  });
  process.on('message', (message) => {
    if (message?.type !== 'stats') return;
    const after = authenticator.stats();
    process.send({
      type: 'stats:done',
      misses: after.misses - before.misses,
      hits: after.hits - before.hits,
    });
  });
  reportReady({ port: 0, jwtBytes: tokens[0].length });
  exitOnSignal(async () => {
    await authenticator.close();
    jwksServer.close();
  });
}

main().catch(reportFatal);
