/**
 * Scenario 4, in one pinned process: core's authenticator (frontegg preset, the emulator with
 * 5 ms latency) under 100 concurrent callers cycling over K distinct Basic credentials.
 * IdP calls are counted at the transport (an undici interceptor on the dispatcher the
 * authenticator is given), by path, independently of the authenticator's own stats.
 */
import { performance } from 'node:perf_hooks';
import { createAuthenticator, frontegg } from '@portcullis/core';
import { Agent } from 'undici';
import { childArgs, exitOnSignal, reportFatal, reportReady } from '../lib/child.mjs';

const { provider, credentials, concurrency } = childArgs();
const calls = new Map();
const dispatcher = new Agent({ connections: 256 }).compose((dispatch) => (options, handler) => {
  const path = String(options.path).split('?')[0];
  calls.set(path, (calls.get(path) ?? 0) + 1);
  return dispatch(options, handler);
});

const headersOf = credentials.map((c) => ({
  authorization: `Basic ${Buffer.from(`${c.clientId}:${c.secret}`).toString('base64')}`,
}));

async function run({ ttlMs, requests }) {
  const authenticator = createAuthenticator({
    provider: frontegg(provider),
    policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
    cache: { ttlMs },
    idp: { dispatcher, maxInFlight: 64, maxQueue: 10_000 },
  });
  await authenticator.ready();
  calls.clear();
  let next = 0;
  let failures = 0;
  const failureCodes = {};
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      try {
        await authenticator.authenticate({
          headers: headersOf[i % headersOf.length],
          url: '/orders',
        });
      } catch (error) {
        failures++;
        failureCodes[error.code ?? 'other'] = (failureCodes[error.code ?? 'other'] ?? 0) + 1;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const stats = authenticator.stats();
  await authenticator.close();
  return {
    ttlMs,
    requests,
    seconds,
    reqPerSec: requests / seconds,
    failures,
    failureCodes,
    idpCallsByPath: Object.fromEntries(calls),
    stats: {
      hits: stats.hits,
      misses: stats.misses,
      coalesced: stats.coalesced,
      idpCalls: stats.idpCalls,
    },
  };
}

process.on('message', (message) => {
  if (message?.type !== 'run') return;
  run(message).then(
    (result) => process.send({ type: 'run:done', result }),
    (error) => reportFatal(error),
  );
});
reportReady({ port: 0 });
exitOnSignal(() => dispatcher.close());
