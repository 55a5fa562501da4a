/**
 * Scenario 4: 100-way concurrency over K distinct client credentials against an IdP answering
 * with 5 ms latency (the emulator's `latency` fault on every IdP route). With the cache (default
 * 30 s TTL, the whole run inside one window) the exchange must be called exactly K times; without
 * it (`cache.ttlMs: 0`) every request that is not coalesced with a concurrent one calls the IdP.
 */
import { config } from '../lib/config.mjs';
import { serverPath, startServer } from '../lib/child.mjs';
import { round } from '../lib/stats.mjs';

const EXCHANGE_PATH = '/identity/resources/auth/v2/api-token';

export async function runIdpLoad({ env, log }) {
  const { seeded } = env;
  const k = config.idpDistinct;
  const credentials = [];
  for (let i = 0; i < k; i++) {
    credentials.push(await seeded.seeder.createTenantApiToken(seeded.tenantId, [seeded.roleId]));
  }
  const child = await startServer(serverPath('idp-load.mjs'), {
    core: config.serverCore,
    args: { provider: seeded.provider, credentials, concurrency: 100 },
  });
  await seeded.seeder.setFault({ group: 'all', mode: 'latency', latencyMs: 5 });
  try {
    const cachedRequests = Math.max(config.requests, k * 100);
    const { result: cached } = await child.ask('run', { ttlMs: 30_000, requests: cachedRequests });
    const { result: uncached } = await child.ask('run', {
      ttlMs: 0,
      requests: Math.min(cachedRequests, Math.max(2000, k * 40)),
    });
    for (const [name, r] of [
      ['cached', cached],
      ['uncached', uncached],
    ]) {
      log(
        `  ${name}: ${r.requests} requests in ${round(r.seconds, 1)} s = ${round(r.reqPerSec, 0)} req/s, ` +
          `exchange calls ${r.idpCallsByPath[EXCHANGE_PATH] ?? 0}, failures ${r.failures}`,
      );
    }
    const exchangeCalls = cached.idpCallsByPath[EXCHANGE_PATH] ?? 0;
    return {
      distinctCredentials: k,
      concurrency: 100,
      idpLatencyMs: 5,
      cached,
      uncached,
      exchangeCallsCached: exchangeCalls,
      exchangeCallsUncached: uncached.idpCallsByPath[EXCHANGE_PATH] ?? 0,
      oneCallPerCredential: exchangeCalls === k && cached.failures === 0,
      throughputRatio: cached.reqPerSec / uncached.reqPerSec,
    };
  } finally {
    await seeded.seeder.clearFaults();
    await child.stop();
  }
}
