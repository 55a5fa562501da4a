/**
 * Scenario 5: revocation latency across three portcullis sidecars sharing Redis. Per trial: a
 * fresh client credential is cached on all three replicas; a signed Standard Webhooks
 * `token.revoked {clientId}` goes to one replica (rotating); the clock stops when every replica
 * answers 401 for it. Reported: webhook answer time and "every replica rejects" p50/p99.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signStandardWebhook } from '@portcullis/core';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { config } from '../lib/config.mjs';
import { serverPath, startServer } from '../lib/child.mjs';
import { percentile, round } from '../lib/stats.mjs';
import { startSidecarCli } from './sidecar.mjs';

const REPLICAS = 3;
const POLL_DEADLINE_MS = 5_000;

async function status(dispatcher, url, headers) {
  const answer = await request(url, { dispatcher, headers });
  await answer.body.dump();
  return answer.statusCode;
}

async function sendWebhook(dispatcher, url, secret, body) {
  const id = `msg_${randomBytes(12).toString('hex')}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const answer = await request(`${url}/.portcullis/webhooks/standard`, {
    dispatcher,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signStandardWebhook(secret, id, timestamp, body),
    },
    body,
  });
  const text = await answer.body.text();
  if (answer.statusCode >= 300) throw new Error(`webhook → ${answer.statusCode} ${text}`);
}

/** ms from `t0` until `url` answers 401 for `headers` (polling back to back). */
async function untilRejected(dispatcher, url, headers, t0) {
  while (performance.now() - t0 < POLL_DEADLINE_MS) {
    if ((await status(dispatcher, url, headers)) === 401) return performance.now() - t0;
  }
  throw new Error(`${url} still accepts a revoked credential after ${POLL_DEADLINE_MS} ms`);
}

export async function runRevocation({ env, log }) {
  const { seeded } = env;
  const trials = config.revocationTrials;
  const prefix = `portcullis-bench-${randomBytes(6).toString('hex')}:`;
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-revocation-'));
  const dispatcher = new Agent({ connections: 8 });
  const running = [];
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    log(`  seeding ${trials} credentials`);
    const jwts = [];
    for (let i = 0; i < trials; i++) {
      const credential = await seeded.seeder.createTenantApiToken(seeded.tenantId, [seeded.roleId]);
      jwts.push({
        clientId: credential.clientId,
        jwt: await seeded.seeder.exchange(credential.clientId, credential.secret),
      });
    }
    const upstream = await startServer(serverPath('upstream.mjs'), { core: config.loadCore });
    running.push(upstream);
    const replicas = [];
    for (let i = 0; i < REPLICAS; i++) {
      const replica = await startSidecarCli(dir, `replica-${i}`, {
        // Not pinned to one core: three replicas sharing one core would queue behind each other.
        core: `${config.serverCore},${config.loadCore}`,
        upstream: upstream.url,
        provider: seeded.provider,
        extraEnv: {
          PORTCULLIS_REDIS_URL: 'redis://127.0.0.1:6379',
          PORTCULLIS_REDIS_KEY_PREFIX: prefix,
          PORTCULLIS_STANDARD_WEBHOOK_SECRET: secret,
        },
      });
      running.push(replica);
      replicas.push(replica);
    }

    const webhookMs = [];
    const allRejectMs = [];
    const perReplicaMs = [];
    const slowest = [];
    for (let t = 0; t < trials; t++) {
      const { clientId, jwt } = jwts[t];
      const headers = { authorization: `Bearer ${jwt}` };
      for (const replica of replicas) {
        const code = await status(dispatcher, `${replica.url}/orders`, headers);
        if (code !== 200) throw new Error(`trial ${t}: replica answered ${code} before revocation`);
      }
      const receiver = replicas[t % REPLICAS];
      const body = JSON.stringify({ type: 'token.revoked', data: { clientId } });
      const t0 = performance.now();
      await sendWebhook(dispatcher, receiver.url, secret, body);
      webhookMs.push(performance.now() - t0);
      const each = await Promise.all(
        replicas.map((replica) => untilRejected(dispatcher, `${replica.url}/orders`, headers, t0)),
      );
      perReplicaMs.push(...each);
      allRejectMs.push(Math.max(...each));
      slowest.push({ trial: t, receiver: t % REPLICAS, ms: each.map((v) => round(v, 1)) });
      if ((t + 1) % 50 === 0) log(`  ${t + 1}/${trials} trials`);
    }
    const dist = (values) => ({
      p50: round(percentile(values, 50), 2),
      p99: round(percentile(values, 99), 2),
      max: round(Math.max(...values), 2),
    });
    const result = {
      replicas: REPLICAS,
      trials,
      webhookAnswerMs: dist(webhookMs),
      everyReplicaRejectsMs: dist(allRejectMs),
      slowestTrials: slowest.sort((a, b) => Math.max(...b.ms) - Math.max(...a.ms)).slice(0, 5),
      note: 'time from sending the webhook to the last replica answering 401 (includes the webhook round trip and one poll)',
    };
    log(
      `  webhook answered p50 ${result.webhookAnswerMs.p50} ms; every replica rejects p50 ` +
        `${result.everyReplicaRejectsMs.p50} ms, p99 ${result.everyReplicaRejectsMs.p99} ms`,
    );
    return result;
  } finally {
    await Promise.all(running.map((proc) => proc.stop()));
    await dispatcher.close();
    if (process.env.BENCH_KEEP_LOGS === '1') log(`  logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    // Leave nothing behind in the shared Redis.
    try {
      let cursor = '0';
      do {
        const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = nextCursor;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
}
