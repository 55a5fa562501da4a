/**
 * Scenario 6: heap and RSS with N (100k) cached principals, and with N tombstones, in a child
 * process with --expose-gc (figures after two full GCs; "added" = after − before filling).
 */
import { config } from '../lib/config.mjs';
import { serverPath, startServer } from '../lib/child.mjs';
import { round } from '../lib/stats.mjs';

export async function runMemory({ env, log }) {
  const payload = JSON.parse(
    Buffer.from(env.seeded.apiToken.jwt.split('.')[1], 'base64url').toString('utf8'),
  );
  // The real claims of an emulator tenant API-token JWT, without the bench's size padding.
  if (payload.metadata) delete payload.metadata.pad;
  const child = await startServer(serverPath('memory.mjs'), {
    core: config.serverCore,
    nodeFlags: ['--expose-gc', '--max-old-space-size=4096'],
    args: { entries: config.memoryEntries, claimsTemplate: payload },
  });
  try {
    const { result } = await child.ask('measure', {}, 600_000);
    const added = (part) => ({
      heapMiB: round(part.after.heapUsedMiB - part.before.heapUsedMiB, 1),
      rssMiB: round(part.after.rssMiB - part.before.rssMiB, 1),
      heapTotalMiB: round(part.after.heapUsedMiB, 1),
      rssTotalMiB: round(part.after.rssMiB, 1),
    });
    const out = {
      entries: result.entries,
      principals: {
        ...added(result.cached),
        cacheSize: result.cached.cacheSize,
        estimatedBytes: result.cached.estimatedBytes,
      },
      tombstones: { ...added(result.revoked), count: result.revoked.tombstones },
      claimsBytes: JSON.stringify(payload).length,
      raw: result,
    };
    log(
      `  ${out.entries} principals: heap +${out.principals.heapMiB} MiB (total ${out.principals.heapTotalMiB}), ` +
        `RSS +${out.principals.rssMiB} MiB; ${out.entries} tombstones: heap +${out.tombstones.heapMiB} MiB, RSS +${out.tombstones.rssMiB} MiB`,
    );
    return out;
  } finally {
    await child.stop();
  }
}
