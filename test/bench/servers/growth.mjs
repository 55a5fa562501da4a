/**
 * Cost growth, in one pinned process started with --expose-gc: for each cache size N, core's
 * authenticator is filled with N cached principals (the memory scenario's stand-in provider and
 * realistic claims), then
 *   - heap added (after full GCs),
 *   - CPU per cached authentication: `authenticateOrDefer` over random credentials among the N
 *     (the whole hit path: extraction, HMAC key, LRU lookup, tombstone and policy checks),
 *   - IdP calls: 100-way concurrent authentications over K = N distinct credentials on a fresh
 *     authenticator (every credential asked for 3 times), counted at the provider.
 */
import { performance } from 'node:perf_hooks';
import { createAuthenticator } from '@portcullis/core';
import { childArgs, exitOnSignal, reportFatal, reportReady } from '../lib/child.mjs';

const { sizes, lookups, claimsTemplate } = childArgs();
const MiB = 2 ** 20;

let providerCalls = 0;
function principalFor(id) {
  const now = Math.floor(Date.now() / 1000);
  const claims = Object.freeze(
    JSON.parse(
      JSON.stringify({
        ...claimsTemplate,
        sub: `00000000-0000-4000-8000-${id.padStart(12, '0')}`,
        jti: `11111111-0000-4000-8000-${id.padStart(12, '0')}`,
        iat: now,
        exp: now + 3600,
      }),
    ),
  );
  return Object.freeze({
    subject: claims.sub,
    clientId: claims.sub,
    tokenId: claims.jti,
    tenantId: claims.tenantId,
    ownerKind: 'tenant',
    credential: 'client_credentials',
    permissions: Object.freeze([...claims.permissions]),
    roles: Object.freeze([...claims.roles]),
    scopes: Object.freeze([]),
    issuer: claims.iss,
    createdByUserId: claims.createdByUserId,
    issuedAt: claims.iat,
    expiresAt: claims.exp,
    claims,
  });
}

const provider = {
  name: 'growth-stand-in',
  async verify(credential) {
    providerCalls++;
    // An IdP round trip takes time: concurrent callers must find the call in flight.
    await new Promise((resolve) => setImmediate(resolve));
    return { principal: principalFor(credential.token.slice(4)), checkedOnline: true };
  },
};

const build = (entries) =>
  createAuthenticator({
    provider,
    policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
    cache: { maxEntries: entries * 2, maxBytes: 4096 * MiB, ttlMs: 3_600_000 },
  });

const heapUsed = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const requestFor = (i) => ({
  headers: { authorization: `Bearer tok-${i.toString(36).padStart(8, '0')}` },
  url: '/orders',
});

async function measureSize(n) {
  const authenticator = build(n);
  await authenticator.ready();
  const requests = Array.from({ length: n }, (_, i) => requestFor(i));
  const before = heapUsed();
  for (const request of requests) await authenticator.authenticate(request);
  const heapMiB = (heapUsed() - before) / MiB;
  // Random order, fixed seed: a cache of N is hit all over, not on a hot few entries.
  let seed = 12345;
  const order = Array.from({ length: lookups }, () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return requests[seed % n];
  });
  for (let i = 0; i < Math.min(lookups, 20_000); i++) authenticator.authenticateOrDefer(order[i]);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const request of order) authenticator.authenticateOrDefer(request);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stats = authenticator.stats();
  await authenticator.close();

  // IdP calls with K = n distinct credentials, 100 concurrent callers, each credential 3 times.
  const fresh = build(n);
  await fresh.ready();
  providerCalls = 0;
  const total = n * 3;
  let next = 0;
  const worker = async () => {
    while (next < total) await fresh.authenticate(requests[next++ % n]);
  };
  await Promise.all(Array.from({ length: 100 }, worker));
  const idpCalls = providerCalls;
  await fresh.close();
  return {
    entries: n,
    heapMiB,
    bytesPerEntry: (heapMiB * MiB) / n,
    cpuUsPerHit: (cpu.user + cpu.system) / lookups,
    hitsPerSec: lookups / seconds,
    cacheSize: stats.size,
    idpCalls,
    authentications: total,
  };
}

process.on('message', (message) => {
  if (message?.type !== 'measure') return;
  (async () => {
    const rows = [];
    for (const n of sizes) rows.push(await measureSize(n));
    process.send({ type: 'measure:done', result: rows });
  })().catch(reportFatal);
});
reportReady({ port: 0 });
exitOnSignal();
