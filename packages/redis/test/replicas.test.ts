/**
 * Several authenticators in separate processes sharing Redis (issue 5): a webhook reaching one
 * replica must take effect on all of them, on replicas started later, and after Redis trouble.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  REDIS_URL,
  deletePrefix,
  freePort,
  rawClient,
  startRedisServer,
  stopRedisServer,
  uniquePrefix,
  waitFor,
} from './helpers.js';
import { Replica, buildDist, standardWebhooks, startIssuer } from './replica-harness.js';
import type { AuthAnswer, Issuer, ReplicaConfig } from './replica-harness.js';

const CACHE_TTL_MS = 400;
const webhooks = standardWebhooks();
const keySecret = randomBytes(32).toString('base64url');
let issuer: Issuer;
const replicas: Replica[] = [];

beforeAll(async () => {
  await buildDist();
  issuer = await startIssuer();
}, 120_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await issuer?.close();
});

function configFor(redisUrl: string, keyPrefix: string, name: string): ReplicaConfig {
  return {
    redisUrl,
    keyPrefix,
    originId: `${name}-${randomBytes(3).toString('hex')}`,
    jwksUrl: issuer.jwksUrl,
    issuer: issuer.issuer,
    audience: issuer.audience,
    webhookSecret: webhooks.secret,
    keySecret,
    cacheTtlMs: CACHE_TTL_MS,
  };
}

async function startReplica(config: ReplicaConfig): Promise<Replica> {
  const replica = await Replica.start(config);
  replicas.push(replica);
  return replica;
}

const accepted = (answer: AuthAnswer): boolean => answer.ok;
const rejectedWith =
  (code: string) =>
  (answer: AuthAnswer): boolean =>
    !answer.ok && answer.code === code;

/** Polls until every replica answers `token` as `expected` says (deadline, not a sleep). */
async function untilAll(
  group: readonly Replica[],
  token: string,
  what: string,
  expected: (answer: AuthAnswer) => boolean,
): Promise<void> {
  let last: AuthAnswer[] = [];
  try {
    await waitFor(what, async () => {
      last = await Promise.all(group.map((replica) => replica.authenticate(token)));
      return last.every(expected);
    });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; last answers ${JSON.stringify(last)}\n${group.map((r) => r.log).join('')}`,
    );
  }
}

async function answersOf(group: readonly Replica[], token: string): Promise<AuthAnswer[]> {
  return Promise.all(group.map((replica) => replica.authenticate(token)));
}

describe('three replicas sharing the machine Redis', () => {
  const prefix = uniquePrefix();
  const raw = rawClient();
  let group: Replica[] = [];
  let revokedToken = '';
  let liveToken = '';

  beforeAll(async () => {
    group = await Promise.all(
      ['r1', 'r2', 'r3'].map((name) => startReplica(configFor(REDIS_URL, prefix, name))),
    );
    revokedToken = await issuer.mint({
      tokenId: 'tok-revoked',
      clientId: 'client-a',
      tenantId: 'tenant-1',
    });
    liveToken = await issuer.mint({
      tokenId: 'tok-live',
      clientId: 'client-b',
      tenantId: 'tenant-1',
    });
  }, 60_000);

  afterAll(async () => {
    await deletePrefix(raw, prefix);
    await raw.quit();
  });

  it('a revocation webhook to one replica makes all three reject, also after the cache TTL', async () => {
    expect((await answersOf(group, revokedToken)).every(accepted)).toBe(true);
    expect((await answersOf(group, liveToken)).every(accepted)).toBe(true);

    const delivery = webhooks.sign('token.revoked', { tokenId: 'tok-revoked' });
    const answer = await group[0]!.webhook(delivery);
    expect(answer.status).toBe(200);
    // The replica answered after storing and publishing; the others follow via the bus.
    expect(await group[0]!.authenticate(revokedToken)).toMatchObject({
      ok: false,
      code: 'ERR_TOKEN_REVOKED',
      status: 401,
    });
    await untilAll(
      group,
      revokedToken,
      'every replica to reject the revoked token',
      rejectedWith('ERR_TOKEN_REVOKED'),
    );
    expect((await answersOf(group, liveToken)).every(accepted)).toBe(true);

    // Past the cache TTL the JWT is verified again (it still verifies offline): still revoked.
    const revokedAt = Date.now();
    await waitFor('the cache TTL to pass', () => Date.now() > revokedAt + 2 * CACHE_TTL_MS);
    expect((await answersOf(group, revokedToken)).every(rejectedWith('ERR_TOKEN_REVOKED'))).toBe(
      true,
    );

    // The same delivery replayed to another replica is recognised through Redis.
    const replay = await group[1]!.webhook(delivery);
    expect(replay).toMatchObject({ status: 200, body: { replayed: true } });
  });

  it('m2m.disabled on one replica makes all reject; a replica started now starts disabled', async () => {
    const answer = await group[1]!.webhook(webhooks.sign('m2m.disabled', {}));
    expect(answer.status).toBe(200);
    await untilAll(
      group,
      liveToken,
      'every replica to be disabled',
      rejectedWith('ERR_M2M_DISABLED'),
    );

    const late = await startReplica(configFor(REDIS_URL, prefix, 'late-disabled'));
    // Its very first request, right after its first sync with Redis.
    expect(await late.authenticate(liveToken)).toMatchObject({
      ok: false,
      code: 'ERR_M2M_DISABLED',
      status: 401,
    });
    expect((await late.state()).policy.enabled).toBe(false);
    group.push(late);
  });

  it('m2m.enabled makes every replica accept again; revoked stays revoked', async () => {
    const answer = await group[2]!.webhook(webhooks.sign('m2m.enabled', {}));
    expect(answer.status).toBe(200);
    await untilAll(group, liveToken, 'every replica to accept again', accepted);
    expect((await answersOf(group, revokedToken)).every(rejectedWith('ERR_TOKEN_REVOKED'))).toBe(
      true,
    );
  });

  it('a replica started after the revocation rejects the revoked credential at once', async () => {
    const late = await startReplica(configFor(REDIS_URL, prefix, 'late-revoked'));
    expect(await late.authenticate(revokedToken)).toMatchObject({
      ok: false,
      code: 'ERR_TOKEN_REVOKED',
    });
    expect(await late.authenticate(liveToken)).toMatchObject({ ok: true, subject: 'client-b' });
  });

  it('replicas whose connections are killed reconnect, resync and keep following', async () => {
    const before = await Promise.all(group.map((replica) => replica.state()));
    const list = (await raw.client('LIST')) as string;
    const names = new Set(group.map((replica) => `portcullis:${replica.originId}`));
    const ids = list
      .split('\n')
      .map((line) => ({
        id: /(?:^|\s)id=(\d+)/.exec(line)?.[1],
        name: /\sname=(\S*)/.exec(line)?.[1],
      }))
      .filter(
        (client) => client.id !== undefined && client.name !== undefined && names.has(client.name),
      );
    expect(ids).toHaveLength(group.length * 2);
    for (const { id } of ids) await raw.client('KILL', 'ID', id!);

    await waitFor('every replica to resync', async () => {
      const after = await Promise.all(group.map((replica) => replica.state()));
      return after.every(
        (state, i) =>
          state.syncs > before[i]!.syncs && state.health.components.store?.status === 'ok',
      );
    });
    const other = await issuer.mint({
      tokenId: 'tok-after-kill',
      clientId: 'client-c',
      tenantId: 'tenant-2',
    });
    expect((await answersOf(group, other)).every(accepted)).toBe(true);
    expect(
      (await group[3]!.webhook(webhooks.sign('token.revoked', { tenantId: 'tenant-2' }))).status,
    ).toBe(200);
    await untilAll(
      group,
      other,
      'every replica to reject the revoked tenant',
      rejectedWith('ERR_TOKEN_REVOKED'),
    );
  });
});

describe('replicas that lose Redis while a revocation happens', () => {
  const password = `pw-${randomBytes(8).toString('hex')}`;
  let child: ChildProcess | undefined;
  let admin: Redis;
  let group: Replica[] = [];
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    child = await startRedisServer(port);
    admin = new Redis({ port, host: '127.0.0.1' });
    // Replicas 2 and 3 log in as `cut`, so the test can shut them out while replica 1 stays.
    await admin.call('ACL', 'SETUSER', 'cut', 'on', `>${password}`, '~*', '&*', '+@all');
    group = await Promise.all([
      startReplica(configFor(`redis://127.0.0.1:${port}`, 'p:', 'stays')),
      startReplica(configFor(`redis://cut:${password}@127.0.0.1:${port}`, 'p:', 'cut-a')),
      startReplica(configFor(`redis://cut:${password}@127.0.0.1:${port}`, 'p:', 'cut-b')),
    ]);
  }, 60_000);

  afterAll(async () => {
    await admin?.quit();
    await stopRedisServer(child);
  });

  it('keep working and revoking locally, then converge once they are back', async () => {
    const missed = await issuer.mint({
      tokenId: 'tok-missed',
      clientId: 'client-m',
      tenantId: 'tenant-m',
    });
    const local = await issuer.mint({
      tokenId: 'tok-local',
      clientId: 'client-l',
      tenantId: 'tenant-l',
    });
    expect((await answersOf(group, missed)).every(accepted)).toBe(true);
    const [stays, cutA, cutB] = group as [Replica, Replica, Replica];

    // Shut `cut` out: disable the user, then kill its connections (CLIENT LIST + CLIENT KILL ID).
    await admin.call('ACL', 'SETUSER', 'cut', 'off');
    const list = (await admin.client('LIST')) as string;
    const cutIds = list
      .split('\n')
      .filter((line) => /\suser=cut\s/.test(line))
      .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1]);
    expect(cutIds).toHaveLength(4);
    for (const id of cutIds) await admin.client('KILL', 'ID', id!);
    await waitFor('the cut replicas to report a degraded store', async () => {
      const states = await Promise.all([cutA.state(), cutB.state()]);
      return states.every(
        (state) => state.health.components.store?.status === 'degraded' && state.health.ready,
      );
    });

    // Revoked on the connected replica: stored and published, but the cut ones cannot hear it.
    expect(
      (await stays.webhook(webhooks.sign('token.revoked', { tokenId: 'tok-missed' }))).status,
    ).toBe(200);
    expect(await stays.authenticate(missed)).toMatchObject({
      ok: false,
      code: 'ERR_TOKEN_REVOKED',
    });
    expect((await answersOf([cutA, cutB], missed)).every(accepted)).toBe(true);

    // Revoked through the API on a cut replica: applied locally, the store part fails.
    expect(await cutA.revoke({ tokenId: 'tok-local' })).toEqual({
      ok: false,
      code: 'ERR_STORE_UNAVAILABLE',
    });
    expect(await cutA.authenticate(local)).toMatchObject({ ok: false, code: 'ERR_TOKEN_REVOKED' });
    expect(await cutB.authenticate(local)).toMatchObject({ ok: true });

    await admin.call('ACL', 'SETUSER', 'cut', 'on');
    await untilAll(
      group,
      missed,
      'the cut replicas to resync the missed revocation',
      rejectedWith('ERR_TOKEN_REVOKED'),
    );
    await waitFor('the cut replicas to be healthy', async () => {
      const states = await Promise.all([cutA.state(), cutB.state()]);
      return states.every((state) => state.health.components.store?.status === 'ok');
    });
    // cutA wrote its local tombstone back when it resynced: a replica started now rejects it.
    const late = await startReplica(configFor(`redis://127.0.0.1:${port}`, 'p:', 'late'));
    expect(await late.authenticate(local)).toMatchObject({ ok: false, code: 'ERR_TOKEN_REVOKED' });
    expect(await late.authenticate(missed)).toMatchObject({ ok: false, code: 'ERR_TOKEN_REVOKED' });
  });
});

describe('a replica whose Redis is absent at start', () => {
  let replica: Replica;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    replica = await startReplica(configFor(`redis://127.0.0.1:${port}`, 'p:', 'alone'));
  }, 60_000);

  it('works locally and reports a degraded store', async () => {
    const token = await issuer.mint({
      tokenId: 'tok-alone',
      clientId: 'client-z',
      tenantId: 'tenant-z',
    });
    expect(await replica.authenticate(token)).toMatchObject({ ok: true, subject: 'client-z' });
    const { health } = await replica.state();
    expect(health.ready).toBe(true);
    expect(health.degraded).toBe(true);
    expect(health.components.store).toMatchObject({ status: 'degraded' });
    expect(health.components.store?.detail).toMatch(/^redis unreachable: /);
    expect(await replica.revoke({ tokenId: 'tok-alone' })).toEqual({
      ok: false,
      code: 'ERR_STORE_UNAVAILABLE',
    });
    expect(await replica.authenticate(token)).toMatchObject({
      ok: false,
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  // docs/design.md §5: "applied locally but store/publish failed → 503". Core's webhook pipeline asks the
  // replay guard (Redis) first and answers 503 without applying anything when Redis is down.
  it('applies a revocation webhook locally and answers 503 while Redis is down', async () => {
    const token = await issuer.mint({
      tokenId: 'tok-webhook',
      clientId: 'client-w',
      tenantId: 'tenant-w',
    });
    expect(await replica.authenticate(token)).toMatchObject({ ok: true });
    const answer = await replica.webhook(
      webhooks.sign('token.revoked', { tokenId: 'tok-webhook' }),
    );
    expect(answer.status).toBe(503);
    expect(await replica.authenticate(token)).toMatchObject({
      ok: false,
      code: 'ERR_TOKEN_REVOKED',
    });
  });
});
