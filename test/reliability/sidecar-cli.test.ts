/**
 * The built `portcullis` CLI, black-box (issue 9, docs/design.md §7, §9): bad configuration exits 2 naming
 * every field, secrets never reach its output, and SIGTERM in the middle of load lets every
 * in-flight request finish before exiting 0.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, listeningUrls } from './support/cli-child.js';
import { createSigningKey, jwksOf, signJwt } from './support/jwt-kit.js';
import type { SigningKey } from './support/jwt-kit.js';
import { createRecorder } from './support/recorder.js';
import { startRecordingUpstream } from './support/recording-upstream.js';
import type { RecordingUpstream } from './support/recording-upstream.js';
import { json, startScriptedServer } from './support/scripted-server.js';
import type { ScriptedServer } from './support/scripted-server.js';
import { waitFor } from './support/wait.js';

const recorder = createRecorder('sidecar-cli');
// The report and the test outcome must agree: every observation recorded here was as expected.
afterAll(() => {
  expect(recorder.notOk()).toEqual([]);
});
const AUDIENCE = 'urn:reliability';
const ADMIN_SECRET = `admin-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

let idp: ScriptedServer;
let upstream: RecordingUpstream;
let key: SigningKey;

beforeAll(async () => {
  key = await createSigningKey('RS256');
  idp = await startScriptedServer((path) => {
    if (path === '/jwks') return json(200, jwksOf(key));
    if (path === '/token') return json(401, { error: 'invalid_client' });
    return json(404, { error: 'not_found' });
  });
  upstream = await startRecordingUpstream();
});

afterAll(async () => {
  await upstream?.stop();
  await idp?.close();
});

const oauth2Env = (): Record<string, string> => ({
  PORTCULLIS_PROVIDER: 'oauth2',
  PORTCULLIS_ISSUER: `${idp.url}/issuer`,
  PORTCULLIS_AUDIENCE: AUDIENCE,
  PORTCULLIS_JWKS_URI: `${idp.url}/jwks`,
  PORTCULLIS_TOKEN_URL: `${idp.url}/token`,
  PORTCULLIS_LISTEN: '127.0.0.1:0',
  PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
  PORTCULLIS_POLICY_ENABLED: 'true',
  PORTCULLIS_POLICY_CREDENTIALS: 'client_credentials,access_token',
});

describe('configuration errors', () => {
  const CASES: { name: string; env: Record<string, string>; named: string[] }[] = [
    {
      name: 'bad numbers and an unknown variable',
      env: {
        PORTCULLIS_CACHE_TTL_MS: 'soon',
        PORTCULLIS_IDP_TIMEOUT_MS: '-5',
        PORTCULLIS_NOT_A_SETTING: 'x',
      },
      named: ['PORTCULLIS_CACHE_TTL_MS', 'PORTCULLIS_IDP_TIMEOUT_MS', 'PORTCULLIS_NOT_A_SETTING'],
    },
    {
      name: 'an upstream that is not a URL',
      env: { PORTCULLIS_UPSTREAM: '!' },
      named: ['PORTCULLIS_UPSTREAM'],
    },
    {
      name: 'a listen address that is not host:port',
      env: { PORTCULLIS_LISTEN: 'everywhere' },
      named: ['PORTCULLIS_LISTEN'],
    },
  ];
  for (const testCase of CASES) {
    it(`${testCase.name}: exit 2, every bad field named, the admin token never printed`, async () => {
      const run = runCli(
        { ...oauth2Env(), PORTCULLIS_ADMIN_TOKEN: ADMIN_SECRET, ...testCase.env },
        ['check-config'],
      );
      const code = await run.exited;
      const output = run.output();
      const missing = testCase.named.filter((name) => !output.includes(name));
      const observed = `exit ${code}; ${missing.length === 0 ? 'every field named' : `not named: ${missing.join(', ')} (output: ${output.trim().slice(0, 120)})`}; ${output.includes(ADMIN_SECRET) ? 'admin token printed' : 'admin token not printed'}`;
      recorder.record({
        category: 'CLI configuration',
        name: testCase.name,
        tried: `portcullis check-config with ${Object.entries(testCase.env)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`,
        expected: 'exit 2; every field named; admin token not printed',
        observed,
      });
      expect(observed).toBe('exit 2; every field named; admin token not printed');
    });
  }

  it('--print-config redacts every secret', async () => {
    const run = runCli(
      {
        ...oauth2Env(),
        PORTCULLIS_ADMIN_TOKEN: ADMIN_SECRET,
        PORTCULLIS_STANDARD_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
      ['--print-config'],
    );
    const code = await run.exited;
    const leaked = [ADMIN_SECRET, WEBHOOK_SECRET].filter((secret) => run.output().includes(secret));
    const observed = `exit ${code}; ${leaked.length === 0 ? 'no secret printed' : `${leaked.length} secrets printed`}`;
    recorder.record({
      category: 'CLI configuration',
      name: '--print-config',
      tried: 'portcullis --print-config with an admin token and a Standard Webhooks secret',
      expected: 'exit 0; no secret printed',
      observed,
    });
    expect(observed).toBe('exit 0; no secret printed');
  });
});

describe('SIGTERM in the middle of load', () => {
  it('in-flight requests finish with 200, the process exits 0, and no credential reaches the logs', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const token = await signJwt(key, {
      iss: `${idp.url}/issuer`,
      aud: AUDIENCE,
      sub: 'svc-sigterm',
      client_id: 'svc-sigterm',
      iat: nowSec,
      exp: nowSec + 600,
    });
    const basicSecret = `basic-secret-${randomBytes(8).toString('hex')}`;
    const junkToken = `junk-${randomBytes(8).toString('hex')}`;
    const run = runCli({
      ...oauth2Env(),
      PORTCULLIS_UPSTREAM: upstream.url,
      PORTCULLIS_DRAIN_MS: '10000',
      PORTCULLIS_ADMIN_TOKEN: ADMIN_SECRET,
      PORTCULLIS_LOG_LEVEL: 'debug',
    });
    const { mainUrl } = await listeningUrls(run);
    const get = (path: string, authorization: string): Promise<number | string> =>
      fetch(`${mainUrl}${path}`, {
        headers: { authorization, connection: 'close' },
        signal: AbortSignal.timeout(15_000),
      }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        (error: unknown) => `error ${(error as Error).name}`,
      );

    const preliminary = [
      await get('/orders/ok', `Bearer ${token}`),
      await get('/orders/basic', `Basic ${Buffer.from(`svc-x:${basicSecret}`).toString('base64')}`),
      await get('/orders/junk', `Bearer ${junkToken}`),
    ];
    const slowBefore = upstream.matching('/slow').length;
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      get(`/slow?ms=1000&i=${i}`, `Bearer ${token}`),
    );
    await waitFor(
      '20 requests at the upstream',
      () => upstream.matching('/slow').length >= slowBefore + 20,
    );
    run.child.kill('SIGTERM');
    const results = await Promise.all(inFlight);
    const code = await run.exited;
    const afterExit = await get('/orders/after-exit', `Bearer ${token}`);
    const completed = results.filter((status) => status === 200).length;
    const output = run.output();
    const leaked = [token, basicSecret, junkToken, ADMIN_SECRET].filter((secret) =>
      output.includes(secret),
    );

    recorder.record({
      category: 'CLI lifecycle',
      name: 'SIGTERM with 20 requests in flight',
      tried: '20 requests waiting 1 s at the upstream, then SIGTERM to the CLI process',
      expected: '20/20 completed with 200; exit 0; new requests refused after exit',
      observed: `${completed}/20 completed with 200; exit ${code}; new requests ${typeof afterExit === 'number' ? `answered ${afterExit}` : 'refused'} after exit`,
    });
    recorder.record({
      category: 'CLI lifecycle',
      name: 'credentials in logs (debug level)',
      tried:
        'a valid JWT, a Basic secret, a junk token and the admin token, then the whole stdout/stderr searched',
      expected: `answers 200, 401, 401; none of the 4 found in the logs`,
      observed: `answers ${preliminary.join(', ')}; ${leaked.length === 0 ? 'none of the 4 found in the logs' : `${leaked.length} of the 4 found in the logs`}`,
    });
    expect(preliminary).toEqual([200, 401, 401]);
    expect(completed).toBe(20);
    expect(code).toBe(0);
    expect(typeof afterExit).toBe('string');
    expect(leaked).toEqual([]);
  });
});
