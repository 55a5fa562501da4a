/**
 * Sustained load through the sidecar (issue 9, on demand): the built `portcullis` CLI as a child
 * process in front of a local upstream, 10 000 distinct JWTs churning through a 500-entry cache
 * for SOAK_DURATION_MS (default 60 s). Every answer must be 200, the cache must stay bounded
 * (admin /metrics), and the sidecar's RSS is sampled from /proc and must stay flat.
 *
 * Run: `npm run build` (or `npx tsc -b packages/core packages/redis packages/sidecar`), then
 * `npx vitest run --config test/soak/vitest.config.ts`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { createSigningKey, jwksOf, signJwt } from '../reliability/support/jwt-kit.js';
import type { SigningKey } from '../reliability/support/jwt-kit.js';
import { createRecorder } from '../reliability/support/recorder.js';
import { startRecordingUpstream } from '../reliability/support/recording-upstream.js';
import type { RecordingUpstream } from '../reliability/support/recording-upstream.js';
import { json, startScriptedServer } from '../reliability/support/scripted-server.js';
import type { ScriptedServer } from '../reliability/support/scripted-server.js';
import { freePort, waitFor } from '../reliability/support/wait.js';

const DURATION_MS = Number(process.env['SOAK_DURATION_MS'] ?? 60_000);
const CREDENTIALS = 10_000;
const CACHE_MAX = 500;
const HOT = 100;
const CONNECTIONS = 32;
const SAMPLE_EVERY_MS = 2000;
const AUDIENCE = 'urn:soak';
const CLI = fileURLToPath(new URL('../../packages/sidecar/dist/cli.js', import.meta.url));

const recorder = createRecorder('soak');
// The report and the test outcome must agree: every observation recorded here was as expected.
afterAll(() => {
  expect(recorder.notOk()).toEqual([]);
});

interface Sample {
  readonly atMs: number;
  readonly rssMiB: number;
  readonly cacheEntries: number;
  readonly requests: number;
}

let idp: ScriptedServer;
let upstream: RecordingUpstream;
let child: ChildProcess | undefined;
let mainUrl = '';
let adminUrl = '';
let key: SigningKey;
const tokens: string[] = [];

beforeAll(async () => {
  key = await createSigningKey('ES256');
  idp = await startScriptedServer((path) =>
    path === '/jwks' ? json(200, jwksOf(key)) : json(404, {}),
  );
  upstream = await startRecordingUpstream();
  const nowSec = Math.floor(Date.now() / 1000);
  for (let i = 0; i < CREDENTIALS; i++) {
    tokens.push(
      await signJwt(key, {
        iss: `${idp.url}/issuer`,
        aud: AUDIENCE,
        sub: `svc-${i}`,
        client_id: `svc-${i}`,
        iat: nowSec,
        exp: nowSec + 3600,
      }),
    );
  }
  const [mainPort, adminPort] = [await freePort(), await freePort()];
  mainUrl = `http://127.0.0.1:${mainPort}`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  child = spawn(process.execPath, [CLI], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PORTCULLIS_PROVIDER: 'oauth2',
      PORTCULLIS_ISSUER: `${idp.url}/issuer`,
      PORTCULLIS_JWKS_URI: `${idp.url}/jwks`,
      // With every endpoint explicit the preset does no discovery (this issuer publishes none).
      PORTCULLIS_TOKEN_URL: `${idp.url}/token`,
      PORTCULLIS_AUDIENCE: AUDIENCE,
      PORTCULLIS_LISTEN: `127.0.0.1:${mainPort}`,
      PORTCULLIS_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      PORTCULLIS_UPSTREAM: upstream.url,
      PORTCULLIS_CACHE_MAX: String(CACHE_MAX),
      PORTCULLIS_POLICY_ENABLED: 'true',
      PORTCULLIS_POLICY_CREDENTIALS: 'client_credentials,access_token',
      PORTCULLIS_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(
    'the sidecar to be ready',
    async () => {
      try {
        const response = await fetch(`${adminUrl}/readyz`);
        await response.arrayBuffer();
        return response.status === 200;
      } catch {
        return false;
      }
    },
    20_000,
  );
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    await new Promise<void>((resolve) => {
      child!.once('exit', () => resolve());
      child!.kill('SIGTERM');
    });
  }
  // The upstream keeps one record per request; drop them with the server.
  upstream?.received.splice(0);
  await upstream?.stop();
  await idp?.close();
});

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  return Math.round((kib / 1024) * 10) / 10;
}

async function cacheEntries(): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return Number(/^portcullis_cache_entries\s+(\S+)/m.exec(text)?.[1] ?? 'NaN');
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

describe('sidecar soak', () => {
  it(
    `${CREDENTIALS} credentials through a ${CACHE_MAX}-entry cache for ${DURATION_MS / 1000} s: no errors, bounded cache, flat memory`,
    async () => {
      const pool = new Pool(mainUrl, { connections: CONNECTIONS, pipelining: 1 });
      const statuses = new Map<string, number>();
      let requests = 0;
      let next = 0;
      const samples: Sample[] = [];
      const startedAt = Date.now();
      const deadline = startedAt + DURATION_MS;

      const worker = async (): Promise<void> => {
        while (Date.now() < deadline) {
          // Half the traffic from 100 hot credentials (cache hits), half churning through all
          // 10 000 (misses that evict): a small cache under both kinds of pressure.
          const n = next++;
          const index = n % 2 === 0 ? (n / 2) % HOT : Math.floor(n / 2) % CREDENTIALS;
          let label: string;
          try {
            const response = await pool.request({
              method: 'GET',
              path: `/orders/${index}`,
              headers: { authorization: `Bearer ${tokens[index]!}` },
            });
            await response.body.dump();
            label = String(response.statusCode);
          } catch (error) {
            label = `error ${(error as Error).name}`;
          }
          requests++;
          statuses.set(label, (statuses.get(label) ?? 0) + 1);
          // The recording upstream would otherwise keep every request for the whole run.
          if (upstream.received.length > 10_000) upstream.received.splice(0);
        }
      };
      const sampler = (async (): Promise<void> => {
        while (Date.now() < deadline) {
          samples.push({
            atMs: Date.now() - startedAt,
            rssMiB: rssMiB(child!.pid!),
            cacheEntries: await cacheEntries(),
            requests,
          });
          await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
        }
      })();
      await Promise.all([...Array.from({ length: CONNECTIONS }, worker), sampler]);
      samples.push({
        atMs: Date.now() - startedAt,
        rssMiB: rssMiB(child!.pid!),
        cacheEntries: await cacheEntries(),
        requests,
      });
      await pool.close();

      const errors = [...statuses.entries()].filter(([label]) => label !== '200');
      const maxCache = Math.max(...samples.map((s) => s.cacheEntries));
      const quarter = Math.max(1, Math.floor(samples.length / 4));
      const warm = median(samples.slice(quarter, 2 * quarter).map((s) => s.rssMiB));
      const end = median(samples.slice(-quarter).map((s) => s.rssMiB));
      const growth = end / warm;
      const seconds = (Date.now() - startedAt) / 1000;

      recorder.record({
        category: 'Soak',
        name: 'errors under sustained load',
        tried: `${requests} requests in ${seconds.toFixed(0)} s over ${CONNECTIONS} connections, ${CREDENTIALS} distinct JWTs (half the requests from ${HOT} hot ones) (${Math.round(requests / seconds)} req/s)`,
        expected: 'all 200',
        observed:
          errors.length === 0 ? 'all 200' : errors.map(([label, n]) => `${label} ×${n}`).join(', '),
      });
      recorder.record({
        category: 'Soak',
        name: 'cache bound',
        tried: `PORTCULLIS_CACHE_MAX=${CACHE_MAX}; portcullis_cache_entries sampled every ${SAMPLE_EVERY_MS / 1000} s`,
        expected: `≤ ${CACHE_MAX} entries`,
        observed: `max ${maxCache} entries`,
        ok: maxCache <= CACHE_MAX,
      });
      recorder.record({
        category: 'Soak',
        name: 'memory (RSS of the sidecar process)',
        tried: `RSS from /proc/<pid>/status every ${SAMPLE_EVERY_MS / 1000} s: ${samples.map((s) => `${(s.atMs / 1000).toFixed(0)} s ${s.rssMiB} MiB`).join(', ')}`,
        expected: 'last-quarter median ≤ 1.25 × second-quarter median (flat)',
        observed: `second-quarter median ${warm} MiB, last-quarter median ${end} MiB (×${growth.toFixed(2)}), peak ${Math.max(...samples.map((s) => s.rssMiB))} MiB`,
        ok: growth <= 1.25,
      });
      expect(errors).toEqual([]);
      expect(maxCache).toBeLessThanOrEqual(CACHE_MAX);
      expect(growth).toBeLessThanOrEqual(1.25);
    },
    DURATION_MS + 120_000,
  );
});
