/**
 * Scenario 7: how cost grows with the number of cached principals (1k, 10k, 100k measured; 1M
 * projected from the measured slope in the report) and how IdP calls grow with distinct
 * credentials. In-process (core's authenticator), so the HTTP cost, constant per request, is out.
 */
import { config } from '../lib/config.mjs';
import { serverPath, startServer } from '../lib/child.mjs';
import { round } from '../lib/stats.mjs';
import { memoryClaims } from './memory.mjs';

export async function runGrowth({ env, log }) {
  const claimsTemplate = memoryClaims(env);
  const sizes = [1_000, 10_000, 100_000];
  const child = await startServer(serverPath('growth.mjs'), {
    core: config.serverCore,
    nodeFlags: ['--expose-gc', '--max-old-space-size=4096'],
    args: { sizes, lookups: config.quick ? 100_000 : 400_000, claimsTemplate },
  });
  try {
    const { result } = await child.ask('measure', {}, 600_000);
    for (const r of result) {
      log(
        `  ${r.entries}: heap +${round(r.heapMiB, 1)} MiB (${round(r.bytesPerEntry, 0)} B each), ` +
          `${round(r.cpuUsPerHit, 2)} µs CPU per cached authentication, ${r.idpCalls} IdP calls for ` +
          `${r.entries} credentials × 3`,
      );
    }
    return { claimsBytes: JSON.stringify(claimsTemplate).length, rows: result };
  } finally {
    await child.stop();
  }
}
