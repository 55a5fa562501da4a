/**
 * Scenario 6: heap and RSS with N (100k) cached principals, and with N tombstones, in a child
 * process with --expose-gc (figures after two full GCs; "added" = after − before filling).
 */
import { config } from '../lib/config.mjs';
import { serverPath, startServer } from '../lib/child.mjs';
import { round } from '../lib/stats.mjs';

const REALISTIC_CLAIMS = Object.freeze({
  createdByUserId: '1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901',
  roles: ['admin', 'reader', 'billing-viewer'],
  permissions: [
    'orders:read',
    'orders:write',
    'orders:refund',
    'invoices:read',
    'invoices:write',
    'customers:read',
    'customers:write',
    'reports:read',
    'fe.secure.read.users',
    'fe.secure.write.users',
  ],
  metadata: { environment: 'production', team: 'payments' },
});

/** The claims the memory and growth scenarios cache: see REALISTIC_CLAIMS. */
export function memoryClaims(env) {
  const payload = JSON.parse(
    Buffer.from(env.seeded.apiToken.jwt.split('.')[1], 'base64url').toString('utf8'),
  );
  // The claims of an emulator tenant API-token JWT, without the bench's size padding, made
  // realistic for a production tenant: several roles, a dozen permissions, the creating user and
  // some metadata (Frontegg's tenant API-token claims; /work/shared/reference/frontegg-api-facts.md).
  if (payload.metadata) delete payload.metadata.pad;
  Object.assign(payload, REALISTIC_CLAIMS);
  return payload;
}

export async function runMemory({ env, log }) {
  const payload = memoryClaims(env);
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
