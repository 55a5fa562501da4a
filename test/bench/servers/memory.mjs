/**
 * Scenario 6, in a process started with --expose-gc: heap and RSS of core's authenticator with N
 * cached principals, then (a fresh authenticator) with N tombstones. The provider is a stand-in
 * that answers instantly with a principal shaped like the Frontegg preset's (same fields and
 * claims as an emulator tenant API-token JWT, unique ids), so N real signatures are not needed;
 * the cache, its indexes and the revocation table under it are core's real code.
 */
import { createAuthenticator } from '@portcullis/core';
import { childArgs, exitOnSignal, reportFatal, reportReady } from '../lib/child.mjs';

const { entries, claimsTemplate } = childArgs();
const MiB = 2 ** 20;

function principalFor(token) {
  const id = token.slice(4);
  const now = Math.floor(Date.now() / 1000);
  // Claims as a JWT library hands them over: a fresh JSON.parse of the payload.
  const claims = Object.freeze(
    JSON.parse(
      JSON.stringify({
        ...claimsTemplate,
        // UUID-sized, unique per token, like Frontegg's client ids and token ids.
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
    // Fresh arrays per token, as a provider builds them from each token's claims.
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
  name: 'memory-stand-in',
  async verify(credential) {
    return { principal: principalFor(credential.token), checkedOnline: true };
  },
};

function snapshot() {
  globalThis.gc();
  globalThis.gc();
  const usage = process.memoryUsage();
  return { heapUsedMiB: usage.heapUsed / MiB, rssMiB: usage.rss / MiB };
}

const build = () =>
  createAuthenticator({
    provider,
    policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
    cache: { maxEntries: entries * 2, maxBytes: 4096 * MiB, ttlMs: 3_600_000 },
    revocation: { maxTombstones: entries * 2 },
  });

async function principals() {
  const authenticator = build();
  await authenticator.ready();
  const before = snapshot();
  for (let i = 0; i < entries; i++) {
    await authenticator.authenticate({
      headers: { authorization: `Bearer tok-${i.toString(36).padStart(8, '0')}` },
      url: '/orders',
    });
  }
  const after = snapshot();
  const stats = authenticator.stats();
  await authenticator.close();
  return {
    before,
    after,
    cacheSize: stats.size,
    estimatedBytes: stats.bytes,
    misses: stats.misses,
  };
}

async function tombstones() {
  const authenticator = build();
  await authenticator.ready();
  const before = snapshot();
  for (let i = 0; i < entries; i++) {
    await authenticator.revoke({ clientId: `client-${i.toString(36).padStart(8, '0')}` });
  }
  const after = snapshot();
  const stats = authenticator.stats();
  await authenticator.close();
  return { before, after, tombstones: stats.tombstones };
}

process.on('message', (message) => {
  if (message?.type !== 'measure') return;
  (async () => {
    const cached = await principals();
    const revoked = await tombstones();
    process.send({ type: 'measure:done', result: { entries, cached, revoked } });
  })().catch(reportFatal);
});
reportReady({ port: 0 });
exitOnSignal();
