#!/usr/bin/env node
/**
 * Issue 19: N sidecar replicas (the built CLI, as child processes) on one private Redis, under a
 * revocation storm: 1 000 `token.revoked` Standard Webhooks in 10 s, spread over the replicas.
 * Not part of `npm run bench` or CI (minutes, and 20 processes on the machine).
 *
 *   npm run build && node test/bench/revocation-storm.mjs            # 3, 10 and 20 replicas
 *   STORM_REPLICAS=20 STORM_REVOCATIONS=1000 STORM_SECONDS=10 node test/bench/revocation-storm.mjs
 *
 * Per replica count it reports:
 * - whether every replica refuses every revoked token afterwards (each replica × each token);
 * - p50/p99/max from the webhook's answer to the LAST replica refusing that token, over every
 *   10th revocation (each replica polled from the moment the webhook answered, every 2 ms plus
 *   a tenth of the time waited so far, so the figure is within ~10 %);
 * - Redis commands per revocation (INFO commandstats, reset after the warm-up), Redis CPU and
 *   bytes sent per revocation (the bus fan-out grows with the replica count);
 * - RSS per replica after the storm, and Redis `used_memory`.
 * Results: test/bench/results/storm-latest.{json,md}.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { signStandardWebhook } from '@portcullis/core';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { freePort, waitForUrl } from './lib/external.mjs';
import { BENCH_AUDIENCE, BENCH_ISSUER, startJwksIssuer } from './lib/jwks.mjs';
import { machineInfo } from './lib/machine.mjs';
import { rssBytes } from './lib/proc.mjs';
import { percentile, round } from './lib/stats.mjs';
import { SIDECAR_CLI } from './scenarios/sidecar.mjs';

const int = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};
const REPLICA_COUNTS = (process.env.STORM_REPLICAS ?? '3,10,20').split(',').map(Number);
const REVOCATIONS = int('STORM_REVOCATIONS', 1000);
const SECONDS = int('STORM_SECONDS', 10);
/** A replica still accepting a revoked token this long after the webhook answered is a failure. */
const REFUSE_DEADLINE_MS = 10_000;
/** Pause between two polls of one replica for one token (the resolution of the latency figure). */
const POLL_INTERVAL_MS = 2;
const POLL_MAX_INTERVAL_MS = 50;
/**
 * Every SAMPLE_EVERY-th revocation is timed by polling every replica; polling all 1 000 × N
 * would load the replicas far more than the storm itself (and measure that load). Every
 * revocation is checked on every replica at the end.
 */
const SAMPLE_EVERY = int('STORM_SAMPLE_EVERY', 10);
/** Vendors retry a 503 for hours; the bench retries each delivery for up to 2 minutes. */
const WEBHOOK_RETRY_WINDOW_MS = 120_000;
/** 20 replicas starting one after the other on a busy 2-core machine need minutes, not seconds. */
const READY_TIMEOUT_MS = 180_000;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

const log = (line) => process.stderr.write(`${line}\n`);
const children = new Set();
const dirs = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

async function startRedis(dir) {
  const port = await freePort();
  const child = track(
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    ),
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    // A new client per attempt: ioredis refuses connect() on a client that is retrying.
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return { port, child, client };
    } catch (error) {
      client.disconnect();
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function startUpstream() {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

async function startReplica(dir, index, env) {
  const port = await freePort();
  const adminPort = await freePort();
  const fd = openSync(join(dir, `replica-${index}.log`), 'a');
  const child = track(
    spawn(process.execPath, [SIDECAR_CLI], {
      env: {
        PATH: process.env.PATH,
        PORTCULLIS_LISTEN: `127.0.0.1:${port}`,
        PORTCULLIS_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
        ...env,
      },
      stdio: ['ignore', fd, fd],
    }),
  );
  return { child, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}` };
}

async function status(dispatcher, url, token) {
  const answer = await request(`${url}/orders`, {
    dispatcher,
    headers: { authorization: `Bearer ${token}` },
  });
  await answer.body.dump();
  return answer.statusCode;
}

/** Runs `task(item)` over `items` with at most `limit` in flight. */
async function pool(items, limit, task) {
  let next = 0;
  const workers = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await task(item);
    }
  });
  await Promise.all(workers);
}

/**
 * Sends one `token.revoked` delivery and, like a vendor, retries the same delivery after
 * `Retry-After` while it is answered 503 (e.g. a Redis command timed out on a loaded machine) or
 * the connection drops.
 * Resolves with the number of retries.
 */
async function sendRevocation(dispatcher, url, secret, clientId) {
  const id = `msg_${randomBytes(12).toString('hex')}`;
  const body = JSON.stringify({ type: 'token.revoked', data: { clientId } });
  const giveUpAt = Date.now() + WEBHOOK_RETRY_WINDOW_MS;
  for (let retries = 0; ; retries++) {
    const timestamp = Math.floor(Date.now() / 1000);
    let answer;
    try {
      answer = await request(`${url}/.portcullis/webhooks/standard`, {
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
    } catch (error) {
      // A dropped connection (the replica's server timeouts on a starved machine): retried too.
      if (Date.now() > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    const text = await answer.body.text();
    if (answer.statusCode === 200) return retries;
    if (answer.statusCode !== 503 || Date.now() > giveUpAt) {
      throw new Error(`webhook → ${answer.statusCode} ${text}`);
    }
    const retryAfterSec = Number(answer.headers['retry-after'] ?? 1) || 1;
    await new Promise((resolve) => setTimeout(resolve, retryAfterSec * 1000));
  }
}

/** Parses `INFO` text into { section fields }. */
function parseInfo(text) {
  const out = {};
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

async function redisCounters(client) {
  const info = parseInfo(await client.info('all'));
  const commands = {};
  for (const [key, value] of Object.entries(info)) {
    if (!key.startsWith('cmdstat_')) continue;
    commands[key.slice('cmdstat_'.length)] = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
  }
  return {
    commands,
    cpuSec: Number(info.used_cpu_sys) + Number(info.used_cpu_user),
    netOutBytes: Number(info.total_net_output_bytes),
    netInBytes: Number(info.total_net_input_bytes),
    usedMemory: Number(info.used_memory),
    pubsubChannels: Number(info.pubsub_channels),
  };
}

async function runStorm(replicaCount, tokens, issuer) {
  const dir = mkdtempSync(join(tmpdir(), `portcullis-storm-${replicaCount}-`));
  dirs.add(dir);
  const dispatcher = new Agent({ connections: 64, pipelining: 1 });
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const upstream = await startUpstream();
  let redis;
  const replicas = [];
  try {
    redis = await startRedis(dir);
    const env = {
      PORTCULLIS_PROVIDER: 'oauth2',
      PORTCULLIS_ISSUER: BENCH_ISSUER,
      PORTCULLIS_AUDIENCE: BENCH_AUDIENCE,
      PORTCULLIS_JWKS_URI: issuer.jwksUri,
      PORTCULLIS_TOKEN_URL: issuer.jwksUri.replace(/\/[^/]*\/[^/]*$/, '/token'),
      PORTCULLIS_UPSTREAM: upstream.url,
      PORTCULLIS_REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      PORTCULLIS_REDIS_KEY_PREFIX: 'storm:',
      PORTCULLIS_STANDARD_WEBHOOK_SECRET: secret,
      PORTCULLIS_POLICY_ENABLED: 'true',
      PORTCULLIS_POLICY_CREDENTIALS: 'client_credentials,access_token',
      PORTCULLIS_CACHE_MAX: String(tokens.length * 2),
      PORTCULLIS_LOG_LEVEL: 'warn',
    };
    log(`[${replicaCount}] starting ${replicaCount} replicas`);
    for (let i = 0; i < replicaCount; i++) replicas.push(await startReplica(dir, i, env));
    for (const replica of replicas) {
      await waitForUrl(`${replica.adminUrl}/readyz`, {
        child: replica.child,
        timeoutMs: READY_TIMEOUT_MS,
      });
    }

    log(`[${replicaCount}] warming: every replica verifies and caches every token`);
    const pairs = replicas.flatMap((replica) => tokens.map((token) => ({ replica, token })));
    await pool(pairs, 32, async ({ replica, token }) => {
      const code = await status(dispatcher, replica.url, token.jwt);
      if (code !== 200) throw new Error(`warm-up: ${replica.url} answered ${code}`);
    });
    const rssBefore = replicas.map((replica) => rssBytes(replica.child.pid));

    const loadBefore = loadavg()[0];
    await redis.client.config('RESETSTAT');
    const before = await redisCounters(redis.client);
    const intervalMs = (SECONDS * 1000) / tokens.length;
    const webhookMs = [];
    const lastRefuseMs = [];
    const failures = [];
    let webhookRetries = 0;
    log(`[${replicaCount}] storm: ${tokens.length} revocations in ${SECONDS} s`);
    const t0 = performance.now();
    const verifications = [];
    for (let i = 0; i < tokens.length; i++) {
      const due = t0 + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const token = tokens[i];
      const receiver = replicas[i % replicas.length];
      const sent = performance.now();
      const sampled = i % SAMPLE_EVERY === 0;
      verifications.push(
        sendRevocation(dispatcher, receiver.url, secret, token.clientId)
          .then(async (retries) => {
            webhookRetries += retries;
            const answered = performance.now();
            webhookMs.push(answered - sent);
            if (!sampled) return;
            const each = await Promise.all(
              replicas.map(async (replica) => {
                while (performance.now() - answered < REFUSE_DEADLINE_MS) {
                  if ((await status(dispatcher, replica.url, token.jwt)) === 401) {
                    return performance.now() - answered;
                  }
                  // Relative resolution of ~10 %: a fixed short interval would, once the machine
                  // is slow, add more load than the storm (and measure itself).
                  const elapsed = performance.now() - answered;
                  const pause = Math.min(POLL_MAX_INTERVAL_MS, POLL_INTERVAL_MS + elapsed / 10);
                  await new Promise((resolve) => setTimeout(resolve, pause));
                }
                failures.push(`${replica.url} still accepts ${token.clientId}`);
                return REFUSE_DEADLINE_MS;
              }),
            );
            lastRefuseMs.push(Math.max(...each));
          })
          .catch((error) => {
            // Not accepted after the retries, or a replica dropped a connection: a failure, and
            // the final every-replica check still tells whether the revocation holds.
            failures.push(`revocation of ${token.clientId}: ${error.message}`);
          }),
      );
    }
    await Promise.all(verifications);
    const stormSec = (performance.now() - t0) / 1000;
    const after = await redisCounters(redis.client);

    log(`[${replicaCount}] checking every replica × every token`);
    let accepted = 0;
    await pool(pairs, 32, async ({ replica, token }) => {
      let code;
      for (let attempt = 0; code === undefined; attempt++) {
        try {
          code = await status(dispatcher, replica.url, token.jwt);
        } catch (error) {
          // A dropped connection is not an answer: ask again (bounded).
          if (attempt >= 3) throw error;
        }
      }
      if (code !== 401) accepted += 1;
    });
    const rssAfter = replicas.map((replica) => rssBytes(replica.child.pid));

    const commandsPerRevocation = {};
    let totalCommands = 0;
    for (const [name, calls] of Object.entries(after.commands)) {
      const delta = calls - (before.commands[name] ?? 0);
      // INFO itself (our measurement) is not the sidecars' cost.
      if (delta <= 0 || name === 'info' || name === 'config|resetstat') continue;
      commandsPerRevocation[name] = round(delta / tokens.length, 3);
      totalCommands += delta;
    }
    const mib = (bytes) => round(bytes / 1024 / 1024, 1);
    return {
      replicas: replicaCount,
      // Other work on the machine shows here: latency figures are only comparable at similar load.
      loadAverage1m: { before: round(loadBefore, 1), after: round(loadavg()[0], 1) },
      revocations: tokens.length,
      stormSec: round(stormSec, 2),
      // The end check (each replica × each token) decides; `failures` are sampled timings lost
      // to a dropped connection or a revocation never accepted.
      refusedEverywhere: accepted === 0,
      acceptedAfter: accepted,
      failureCount: failures.length,
      failures: failures.slice(0, 5),
      webhookRetries,
      webhookMs: {
        p50: round(percentile(webhookMs, 50), 2),
        p99: round(percentile(webhookMs, 99), 2),
      },
      lastReplicaRefusesMs: {
        samples: lastRefuseMs.length,
        p50: round(percentile(lastRefuseMs, 50), 2),
        p99: round(percentile(lastRefuseMs, 99), 2),
        max: round(Math.max(...lastRefuseMs), 2),
      },
      redis: {
        commandsPerRevocation: round(totalCommands / tokens.length, 2),
        byCommand: commandsPerRevocation,
        cpuMsPerRevocation: round(((after.cpuSec - before.cpuSec) * 1000) / tokens.length, 3),
        bytesOutPerRevocation: Math.round((after.netOutBytes - before.netOutBytes) / tokens.length),
        usedMemoryMiB: mib(after.usedMemory),
      },
      rssPerReplicaMiB: {
        afterWarmup: mib(rssBefore.reduce((a, b) => a + b, 0) / rssBefore.length),
        afterStorm: mib(rssAfter.reduce((a, b) => a + b, 0) / rssAfter.length),
        maxAfterStorm: mib(Math.max(...rssAfter)),
      },
    };
  } finally {
    await Promise.all(replicas.map((replica) => stop(replica.child)));
    redis?.client.disconnect();
    if (redis) await stop(redis.child);
    upstream.close();
    await dispatcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function markdown(results, machine) {
  const lines = [
    `Revocation storm: ${REVOCATIONS} revocations in ${SECONDS} s per run (every ${SAMPLE_EVERY}th timed on every replica), one private redis-server, replicas = the built CLI as child processes (${machine}).`,
    '',
    '| Replicas | Load avg (1 min) | All refuse every revoked token | Webhook answer p50 / p99 (ms), 503 retries | Answer → last replica refuses p50 / p99 / max (ms) | Redis commands / revocation | Redis CPU / revocation (ms) | Redis bytes out / revocation | RSS / replica (MiB) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.replicas} | ${r.loadAverage1m.before} | ${r.acceptedAfter === 0 ? 'yes' : `**no** (${r.acceptedAfter} accepted)`} | ${r.webhookMs.p50} / ${r.webhookMs.p99}, ${r.webhookRetries} | ${r.lastReplicaRefusesMs.p50} / ${r.lastReplicaRefusesMs.p99} / ${r.lastReplicaRefusesMs.max} (${r.lastReplicaRefusesMs.samples} samples) | ${r.redis.commandsPerRevocation} (${Object.entries(
        r.redis.byCommand,
      )
        .map(([name, calls]) => `${name} ${calls}`)
        .join(
          ', ',
        )}) | ${r.redis.cpuMsPerRevocation} | ${r.redis.bytesOutPerRevocation} | ${r.rssPerReplicaMiB.afterStorm} (max ${r.rssPerReplicaMiB.maxAfterStorm}) |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function redisVersion() {
  try {
    return /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1];
  } catch {
    return 'unknown';
  }
}

function machineText() {
  const machine = machineInfo();
  return `${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, redis-server ${redisVersion()}`;
}

/**
 * storm-latest.json keeps the latest result per replica count, so `STORM_REPLICAS=20` alone
 * updates that row and keeps the others (each row says when it was measured).
 */
function writeResults(results) {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, 'storm-latest.json');
  let previous = [];
  try {
    previous = JSON.parse(readFileSync(file, 'utf8')).results ?? [];
  } catch {
    // first run
  }
  const at = new Date().toISOString();
  const byCount = new Map(previous.map((result) => [result.replicas, result]));
  for (const result of results) byCount.set(result.replicas, { at, ...result });
  const merged = [...byCount.values()].sort((a, b) => a.replicas - b.replicas);
  writeFileSync(file, `${JSON.stringify({ machine: machineInfo(), results: merged }, null, 2)}\n`);
  writeFileSync(
    join(RESULTS, 'storm-latest.md'),
    markdown(
      merged.filter((result) => !result.error),
      machineText(),
    ),
  );
}

async function main() {
  if (process.env.STORM_REPORT_ONLY === '1') {
    // Re-render storm-latest.md from storm-latest.json (no run).
    writeResults([]);
    return;
  }
  log(`storm: replicas ${REPLICA_COUNTS.join(', ')}; ${REVOCATIONS} revocations in ${SECONDS} s`);
  const issuer = await startJwksIssuer();
  const results = [];
  try {
    log(`signing ${REVOCATIONS} tokens`);
    const tokens = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const clientId = `storm-client-${i}`;
      tokens.push({
        clientId,
        jwt: await issuer.sign({ sub: clientId, client_id: clientId }, 1024),
      });
    }
    for (const count of REPLICA_COUNTS) {
      try {
        const result = await runStorm(count, tokens, issuer);
        log(JSON.stringify(result));
        results.push(result);
      } catch (error) {
        // One replica count failing (e.g. replicas too slow to start) must not lose the others.
        log(`[${count}] failed: ${error.message}`);
        results.push({ replicas: count, error: error.message });
      }
      writeResults(results);
    }
  } finally {
    await issuer.close();
  }
  process.stdout.write(
    markdown(
      results.filter((result) => !result.error),
      machineText(),
    ),
  );
  if (results.some((result) => result.error || result.acceptedAfter !== 0)) process.exitCode = 1;
}

main().catch((error) => {
  log(error.stack ?? String(error));
  process.exit(1);
});
