/**
 * The sidecar under attack and under faults (issue 9): identity-header spoofing (oauth2-proxy
 * CVE-2025-64484 `_` variants, case, duplicates), webhook forgery / replay / staleness / size
 * through the real listener, request smuggling over raw TCP, upstream down or slow, and a drain
 * in the middle of load.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { signStandardWebhook } from '@portcullis/core';
import { startFronteggEnv } from './support/frontegg-env.js';
import type { FronteggEnv } from './support/frontegg-env.js';
import { rawExchange, rawRequestText } from './support/raw-http.js';
import type { ReceivedRequest } from './support/recording-upstream.js';
import { createRecorder } from './support/recorder.js';
import {
  ADMIN_TOKEN,
  FRONTEGG_HOOK_SECRET,
  STANDARD_SECRET,
  startSidecarEnv,
} from './support/sidecar-env.js';
import type { SidecarEnv } from './support/sidecar-env.js';
import { waitFor } from './support/wait.js';

const recorder = createRecorder('sidecar-hostile');
// The report and the test outcome must agree: every observation recorded here was as expected.
afterAll(() => {
  expect(recorder.notOk()).toEqual([]);
});
const PREFIX = 'x-portcullis-';

let idp: FronteggEnv;
let env: SidecarEnv;
let jwt: string;
let subject: string;

beforeAll(async () => {
  idp = await startFronteggEnv(1);
  env = await startSidecarEnv(idp, { PORTCULLIS_UPSTREAM_TIMEOUT_MS: '500' });
  jwt = idp.apiTokenJwt;
  const baseline = await fetch(`${env.sidecar.mainUrl}/baseline`, {
    headers: { authorization: `Bearer ${jwt}` },
  });
  expect(baseline.status).toBe(200);
  subject = identityOf(env.upstream.matching('/baseline')[0]!).get('x-portcullis-subject') ?? '';
  expect(subject).not.toBe('');
});

afterAll(async () => {
  await env?.close();
  await idp?.close();
});

/** Identity-looking headers the upstream received, by normalised name (lower case, `_` → `-`). */
function identityOf(request: ReceivedRequest): Map<string, string> {
  const found = new Map<string, string>();
  for (const [name, value] of request.headers) {
    const normalised = name.toLowerCase().replaceAll('_', '-');
    if (!normalised.startsWith(PREFIX)) continue;
    found.set(
      normalised,
      found.has(normalised) ? `${found.get(normalised)!}|DUPLICATE|${value}` : value,
    );
  }
  return found;
}

/** Names as sent, so `_` spellings that reached the upstream are visible. */
const rawIdentityNames = (request: ReceivedRequest): string[] =>
  request.headers
    .map(([name]) => name)
    .filter((name) => name.toLowerCase().replaceAll('_', '-').startsWith(PREFIX));

describe('identity-header spoofing', () => {
  const SPOOFS: { name: string; headers: string[] }[] = [
    { name: 'X-Portcullis-Subject', headers: ['X-Portcullis-Subject: attacker'] },
    { name: 'x_portcullis_subject (underscores)', headers: ['x_portcullis_subject: attacker'] },
    { name: 'x-portcullis_subject (mixed)', headers: ['x-portcullis_subject: attacker'] },
    {
      name: 'X-PORTCULLIS-TENANT-ID (upper case)',
      headers: ['X-PORTCULLIS-TENANT-ID: other-tenant'],
    },
    { name: 'X_PORTCULLIS_TENANT_ID', headers: ['X_PORTCULLIS_TENANT_ID: other-tenant'] },
    {
      name: 'duplicated X-Portcullis-Subject',
      headers: ['X-Portcullis-Subject: attacker', 'x-portcullis-subject: attacker2'],
    },
    { name: 'x-portcullis-permissions', headers: ['x-portcullis-permissions: admin,orders:write'] },
    { name: 'x-portcullis-identity (forged JWT)', headers: ['x-portcullis-identity: e30.e30.'] },
    { name: 'unknown x-portcullis-* name', headers: ['X-Portcullis-Is-Admin: true'] },
  ];

  for (const route of ['/orders', '/public/info'] as const) {
    const authenticated = route === '/orders';
    it(`${authenticated ? 'authenticated' : 'public'} route: every spoofed identity header is stripped`, async () => {
      const failures: string[] = [];
      for (const spoof of SPOOFS) {
        const path = `${route}/${randomUUID()}`;
        const lines = [
          `GET ${path} HTTP/1.1`,
          'Host: api.test',
          'Connection: close',
          ...spoof.headers,
        ];
        if (authenticated) lines.push(`Authorization: Bearer ${jwt}`);
        const exchange = await rawExchange(env.sidecar.mainUrl, rawRequestText(lines));
        const received = env.upstream.matching(path)[0];
        const identity = received === undefined ? new Map<string, string>() : identityOf(received);
        const forwarded = received === undefined ? [] : rawIdentityNames(received);
        const sent = spoof.headers.map((header) => header.slice(header.indexOf(':') + 1).trim());
        const spoofedValues = [...identity.values()].filter(
          (value) => value.includes('|DUPLICATE|') || sent.includes(value),
        );
        const observed =
          received === undefined
            ? `status ${exchange.statuses[0] ?? 'none'}, not forwarded`
            : `status ${exchange.statuses[0] ?? 'none'}; ${spoofedValues.length === 0 ? 'no spoofed value' : `spoofed values: ${spoofedValues.join(', ')}`}; ${forwarded.some((n) => n.includes('_')) ? '`_` names forwarded' : 'no `_` names'}; subject ${authenticated ? (identity.get('x-portcullis-subject') === subject ? 'from the credential' : `"${identity.get('x-portcullis-subject') ?? 'missing'}"`) : identity.size === 0 ? 'absent' : 'present'}`;
        const expected = `status 200; no spoofed value; no \`_\` names; subject ${authenticated ? 'from the credential' : 'absent'}`;
        if (
          !recorder.record({
            category: 'Sidecar: identity-header spoofing',
            name: `${spoof.name} on ${authenticated ? 'an authenticated' : 'a public'} route`,
            tried: `${spoof.headers.join(' + ')} (raw TCP)${authenticated ? ' with a valid Bearer JWT' : ''}`,
            expected,
            observed,
          })
        ) {
          failures.push(`${spoof.name}: ${observed}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it('X-Original-URL / X-Rewrite-URL / X-Forwarded-Uri never reach the upstream in proxy mode', async () => {
    const path = `/orders/${randomUUID()}`;
    const exchange = await rawExchange(
      env.sidecar.mainUrl,
      rawRequestText([
        `GET ${path} HTTP/1.1`,
        'Host: api.test',
        'Connection: close',
        `Authorization: Bearer ${jwt}`,
        'X-Original-URL: /admin/secrets',
        'X-Rewrite-URL: /admin/secrets',
        'X-Forwarded-Uri: /admin/secrets',
        'X-Forwarded-Method: DELETE',
      ]),
    );
    const received = env.upstream.matching(path)[0];
    const leaked = (received?.headers ?? [])
      .map(([name]) => name.toLowerCase())
      .filter((name) =>
        ['x-original-url', 'x-rewrite-url', 'x-forwarded-uri', 'x-forwarded-method'].includes(name),
      );
    const observed = `status ${exchange.statuses[0] ?? 'none'}; ${leaked.length === 0 ? 'none forwarded' : `forwarded: ${leaked.join(', ')}`}`;
    recorder.record({
      category: 'Sidecar: identity-header spoofing',
      name: 'URL-override headers',
      tried:
        'X-Original-URL, X-Rewrite-URL, X-Forwarded-Uri, X-Forwarded-Method on a proxied request',
      expected: 'status 200; none forwarded',
      observed,
    });
    expect(observed).toBe('status 200; none forwarded');
  });
});

// ---------------------------------------------------------------- webhooks through the sidecar

interface WebhookAnswer {
  readonly status: number;
  readonly body: { replayed?: boolean; code?: string } | undefined;
}

async function postWebhook(
  name: string,
  headers: Record<string, string>,
  body: string,
): Promise<WebhookAnswer> {
  const response = await fetch(`${env.sidecar.mainUrl}/.portcullis/webhooks/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  let parsed: WebhookAnswer['body'];
  try {
    parsed = JSON.parse(text) as WebhookAnswer['body'];
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed };
}

function standardHeaders(
  body: string,
  options: { id?: string; ageSec?: number; secret?: string } = {},
): Record<string, string> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000) - (options.ageSec ?? 0);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signStandardWebhook(
      options.secret ?? STANDARD_SECRET,
      id,
      timestamp,
      body,
    ),
  };
}

async function tombstoneCount(): Promise<number> {
  const response = await fetch(`${env.sidecar.adminUrl}/v1/tombstones`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const body = (await response.json()) as unknown;
  const list = Array.isArray(body) ? body : ((body as { tombstones?: unknown[] }).tombstones ?? []);
  return list.length;
}

const fronteggHeader = async (secret: string, iatSec: number): Promise<string> =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(iatSec)
    .sign(new TextEncoder().encode(secret));

describe('webhooks through the sidecar', () => {
  it('Standard Webhooks: forgery, wrong secret, stale, tampered, oversized, not JSON, replay', async () => {
    const revoke = (tokenId: string): string =>
      JSON.stringify({
        type: 'token.revoked',
        timestamp: new Date().toISOString(),
        data: { tokenId },
      });
    const otherSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const cases: { name: string; send: () => Promise<WebhookAnswer>; expected: number }[] = [
      {
        name: 'no signature headers',
        send: () => postWebhook('standard', {}, revoke('t-1')),
        expected: 401,
      },
      {
        name: 'signed with another secret',
        send: () => {
          const body = revoke('t-2');
          return postWebhook('standard', standardHeaders(body, { secret: otherSecret }), body);
        },
        expected: 401,
      },
      {
        name: 'stale timestamp (10 min old)',
        send: () => {
          const body = revoke('t-3');
          return postWebhook('standard', standardHeaders(body, { ageSec: 600 }), body);
        },
        expected: 401,
      },
      {
        name: 'timestamp 10 min in the future',
        send: () => {
          const body = revoke('t-3b');
          return postWebhook('standard', standardHeaders(body, { ageSec: -600 }), body);
        },
        expected: 401,
      },
      {
        name: 'body tampered after signing',
        send: () => postWebhook('standard', standardHeaders(revoke('t-4')), revoke('t-4-evil')),
        expected: 401,
      },
      {
        name: 'oversized body (100 KiB), validly signed',
        send: () => {
          const body = JSON.stringify({
            type: 'token.revoked',
            data: { tokenId: 't-5', pad: 'x'.repeat(100 * 1024) },
          });
          return postWebhook('standard', standardHeaders(body), body);
        },
        expected: 413,
      },
      {
        name: 'not JSON, validly signed',
        send: () => postWebhook('standard', standardHeaders('{not json'), '{not json'),
        expected: 400,
      },
      {
        name: 'Frontegg event key on the Standard receiver',
        send: () => {
          const body = JSON.stringify({ type: 'frontegg.user.deleted', data: { userId: 'u' } });
          return postWebhook('standard', standardHeaders(body), body);
        },
        expected: 202,
      },
    ];
    const before = await tombstoneCount();
    const failures: string[] = [];
    for (const testCase of cases) {
      const answer = await testCase.send();
      if (
        !recorder.record({
          category: 'Sidecar: webhooks',
          name: `Standard: ${testCase.name}`,
          tried: `POST /.portcullis/webhooks/standard — ${testCase.name}`,
          expected: String(testCase.expected),
          observed: String(answer.status),
        })
      ) {
        failures.push(`${testCase.name}: ${answer.status}`);
      }
    }
    const afterForgeries = await tombstoneCount();
    recorder.record({
      category: 'Sidecar: webhooks',
      name: 'Standard: nothing applied by refused deliveries',
      tried: 'tombstone count before and after the refused deliveries (admin API)',
      expected: 'unchanged',
      observed: afterForgeries === before ? 'unchanged' : `${afterForgeries - before} added`,
    });

    const body = revoke('t-genuine');
    const headers = standardHeaders(body);
    const first = await postWebhook('standard', headers, body);
    const afterFirst = await tombstoneCount();
    const replay = await postWebhook('standard', headers, body);
    const afterReplay = await tombstoneCount();
    recorder.record({
      category: 'Sidecar: webhooks',
      name: 'Standard: genuine delivery, then replayed',
      tried: 'a validly signed token.revoked, then the identical delivery again',
      expected: '200 (+1 tombstone), then 200 replayed (+0)',
      observed: `${first.status} (+${afterFirst - afterForgeries} tombstone), then ${replay.status}${replay.body?.replayed === true ? ' replayed' : ''} (+${afterReplay - afterFirst})`,
    });
    expect(failures).toEqual([]);
    expect(afterForgeries).toBe(before);
    expect(first.status).toBe(200);
    expect(afterFirst).toBe(afterForgeries + 1);
    expect(replay).toMatchObject({ status: 200, body: { replayed: true } });
    expect(afterReplay).toBe(afterFirst);
  });

  it('Frontegg webhooks: wrong secret, stale iat, Portcullis keys refused, oversized; genuine accepted', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const userDeleted = (userId: string): string =>
      JSON.stringify({
        eventKey: 'frontegg.user.deleted',
        user: { id: userId },
        eventContext: { tenantId: idp.tenantId, userId },
      });
    const cases: {
      name: string;
      headers: () => Promise<Record<string, string>>;
      body: string;
      expected: number;
    }[] = [
      {
        name: 'no x-webhook-secret',
        headers: async () => ({}),
        body: userDeleted('u-1'),
        expected: 401,
      },
      {
        name: 'x-webhook-secret signed with another secret',
        headers: async () => ({
          'x-webhook-secret': await fronteggHeader('not-the-secret', nowSec),
        }),
        body: userDeleted('u-2'),
        expected: 401,
      },
      {
        name: 'x-webhook-secret is the raw secret, not a JWT',
        headers: async () => ({ 'x-webhook-secret': FRONTEGG_HOOK_SECRET }),
        body: userDeleted('u-2b'),
        expected: 401,
      },
      {
        name: 'iat 10 min old',
        headers: async () => ({
          'x-webhook-secret': await fronteggHeader(FRONTEGG_HOOK_SECRET, nowSec - 600),
        }),
        body: userDeleted('u-3'),
        expected: 401,
      },
      {
        name: 'Portcullis key m2m.enabled (can widen access)',
        headers: async () => ({
          'x-webhook-secret': await fronteggHeader(FRONTEGG_HOOK_SECRET, nowSec),
        }),
        body: JSON.stringify({ eventKey: 'm2m.enabled' }),
        expected: 400,
      },
      {
        name: 'oversized body (100 KiB)',
        headers: async () => ({
          'x-webhook-secret': await fronteggHeader(FRONTEGG_HOOK_SECRET, nowSec),
        }),
        body: JSON.stringify({ eventKey: 'frontegg.user.deleted', pad: 'x'.repeat(100 * 1024) }),
        expected: 413,
      },
      {
        name: 'genuine frontegg.user.deleted',
        headers: async () => ({
          'x-webhook-secret': await fronteggHeader(FRONTEGG_HOOK_SECRET, nowSec),
        }),
        body: userDeleted('u-genuine'),
        expected: 200,
      },
    ];
    const failures: string[] = [];
    for (const testCase of cases) {
      const answer = await postWebhook('frontegg', await testCase.headers(), testCase.body);
      if (
        !recorder.record({
          category: 'Sidecar: webhooks',
          name: `Frontegg: ${testCase.name}`,
          tried: `POST /.portcullis/webhooks/frontegg — ${testCase.name}`,
          expected: String(testCase.expected),
          observed: String(answer.status),
        })
      ) {
        failures.push(`${testCase.name}: ${answer.status}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

// ---------------------------------------------------------------- request smuggling

describe('request smuggling (raw TCP)', () => {
  const auth = (): string => `Authorization: Bearer ${jwt}`;
  const SMUGGLES: { name: string; build: (front: string, hidden: string) => string }[] = [
    {
      name: 'Content-Length + Transfer-Encoding (CL.TE)',
      build: (front, hidden) =>
        rawRequestText(
          [
            `POST ${front} HTTP/1.1`,
            'Host: api.test',
            auth(),
            'Content-Length: 6',
            'Transfer-Encoding: chunked',
          ],
          `0\r\n\r\nGET ${hidden} HTTP/1.1\r\nHost: api.test\r\n${auth()}\r\n\r\n`,
        ),
    },
    {
      name: 'Transfer-Encoding + Content-Length (TE.CL)',
      build: (front, hidden) => {
        const smuggled = `GET ${hidden} HTTP/1.1\r\nHost: api.test\r\n${auth()}\r\n\r\n`;
        const chunk = `${Buffer.byteLength(smuggled).toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
        return rawRequestText(
          [
            `POST ${front} HTTP/1.1`,
            'Host: api.test',
            auth(),
            'Transfer-Encoding: chunked',
            'Content-Length: 4',
          ],
          chunk,
        );
      },
    },
    {
      name: 'two different Content-Length values',
      build: (front, hidden) => {
        const smuggled = `GET ${hidden} HTTP/1.1\r\nHost: api.test\r\n${auth()}\r\n\r\n`;
        return rawRequestText(
          [
            `POST ${front} HTTP/1.1`,
            'Host: api.test',
            auth(),
            'Content-Length: 0',
            `Content-Length: ${Buffer.byteLength(smuggled)}`,
          ],
          smuggled,
        );
      },
    },
    {
      name: 'Content-Length list "0, 60"',
      build: (front, hidden) =>
        rawRequestText(
          [`POST ${front} HTTP/1.1`, 'Host: api.test', auth(), 'Content-Length: 0, 60'],
          `GET ${hidden} HTTP/1.1\r\nHost: api.test\r\n${auth()}\r\n\r\n`,
        ),
    },
    {
      name: 'obs-fold in Transfer-Encoding',
      build: (front, hidden) =>
        rawRequestText(
          [
            `POST ${front} HTTP/1.1`,
            'Host: api.test',
            auth(),
            'Content-Length: 6',
            'Transfer-Encoding:',
            ' chunked',
          ],
          `0\r\n\r\nGET ${hidden} HTTP/1.1\r\nHost: api.test\r\n\r\n`,
        ),
    },
    {
      name: 'obs-fold in an ordinary header',
      build: (front) =>
        rawRequestText([
          `GET ${front} HTTP/1.1`,
          'Host: api.test',
          auth(),
          'X-Folded: first',
          '  second',
          'Connection: close',
        ]),
    },
    {
      name: 'space before the colon: "Transfer-Encoding : chunked"',
      build: (front, hidden) =>
        rawRequestText(
          [
            `POST ${front} HTTP/1.1`,
            'Host: api.test',
            auth(),
            'Content-Length: 6',
            'Transfer-Encoding : chunked',
          ],
          `0\r\n\r\nGET ${hidden} HTTP/1.1\r\nHost: api.test\r\n\r\n`,
        ),
    },
    {
      name: 'Transfer-Encoding: xchunked',
      build: (front, hidden) =>
        rawRequestText(
          [
            `POST ${front} HTTP/1.1`,
            'Host: api.test',
            auth(),
            'Content-Length: 6',
            'Transfer-Encoding: xchunked',
          ],
          `0\r\n\r\nGET ${hidden} HTTP/1.1\r\nHost: api.test\r\n\r\n`,
        ),
    },
    {
      name: 'Transfer-Encoding: chunked, identity',
      build: (front, hidden) =>
        rawRequestText(
          [
            `POST ${front} HTTP/1.1`,
            'Host: api.test',
            auth(),
            'Transfer-Encoding: chunked, identity',
          ],
          `0\r\n\r\nGET ${hidden} HTTP/1.1\r\nHost: api.test\r\n\r\n`,
        ),
    },
    {
      name: 'bare LF line endings',
      build: (front, hidden) =>
        `POST ${front} HTTP/1.1\nHost: api.test\n${auth()}\nContent-Length: 6\nTransfer-Encoding: chunked\n\n0\n\nGET ${hidden} HTTP/1.1\nHost: api.test\n\n`,
    },
  ];

  it('every framing attack is refused with 400 and nothing is smuggled to the upstream', async () => {
    const failures: string[] = [];
    for (const smuggle of SMUGGLES) {
      const id = randomUUID();
      const front = `/orders/front-${id}`;
      const hidden = `/smuggled-${id}`;
      const exchange = await rawExchange(env.sidecar.mainUrl, smuggle.build(front, hidden), 2000);
      // Absence needs a barrier, not a sleep: a later, ordinary request must have reached the
      // upstream before the counts are read (a smuggled one would have been forwarded earlier).
      const marker = `/orders/marker-${id}`;
      await fetch(`${env.sidecar.mainUrl}${marker}`, {
        headers: { authorization: `Bearer ${jwt}` },
      }).then((r) => r.arrayBuffer());
      await waitFor(
        'the marker request at the upstream',
        () => env.upstream.matching(marker).length === 1,
      );
      const fronts = env.upstream.matching(front).length;
      const hiddens = env.upstream.received.filter((r) => r.url.includes(`smuggled-${id}`)).length;
      const observed = `${exchange.statuses.length === 0 ? 'no answer' : exchange.statuses.join(' then ')}; front request forwarded ${fronts}×; smuggled request forwarded ${hiddens}×`;
      const ok =
        exchange.statuses[0] === 400 &&
        exchange.statuses.length === 1 &&
        fronts === 0 &&
        hiddens === 0;
      recorder.record({
        category: 'Sidecar: request smuggling',
        name: smuggle.name,
        tried: `raw TCP: ${smuggle.name}, a hidden request after the body`,
        expected: '400; front request forwarded 0×; smuggled request forwarded 0×',
        observed,
        ok,
      });
      if (!ok) failures.push(`${smuggle.name}: ${observed}`);
    }
    expect(failures).toEqual([]);
  });
});

// ---------------------------------------------------------------- upstream faults and drain

describe('upstream down or slow', () => {
  it('slow upstream → 504 after PORTCULLIS_UPSTREAM_TIMEOUT_MS; down → 502; back → 200 without restart', async () => {
    const get = async (path: string): Promise<number> => {
      const response = await fetch(`${env.sidecar.mainUrl}${path}`, {
        headers: { authorization: `Bearer ${jwt}` },
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer();
      return response.status;
    };
    const slow = await get('/slow?ms=3000');
    await env.upstream.stop();
    const down = await get('/orders/while-down');
    await env.upstream.start();
    const back = await get('/orders/after');
    recorder.record({
      category: 'Sidecar: upstream faults',
      name: 'upstream slower than the timeout',
      tried: 'upstream answers after 3 s; PORTCULLIS_UPSTREAM_TIMEOUT_MS=500',
      expected: '504',
      observed: String(slow),
    });
    recorder.record({
      category: 'Sidecar: upstream faults',
      name: 'upstream down',
      tried: 'upstream port closed',
      expected: '502',
      observed: String(down),
    });
    recorder.record({
      category: 'Sidecar: upstream faults',
      name: 'upstream back',
      tried: 'upstream listening again on the same port, same sidecar',
      expected: '200',
      observed: String(back),
    });
    expect([slow, down, back]).toEqual([504, 502, 200]);
  });
});

describe('drain in the middle of load (what SIGTERM triggers)', () => {
  it('in-flight requests complete, readiness turns 503, new connections are refused', async () => {
    const draining = await startSidecarEnv(idp, { PORTCULLIS_DRAIN_MS: '5000' });
    try {
      const request = (path: string): Promise<number | string> =>
        fetch(`${draining.sidecar.mainUrl}${path}`, {
          headers: { authorization: `Bearer ${jwt}`, connection: 'close' },
          signal: AbortSignal.timeout(8000),
        }).then(
          async (response) => {
            await response.arrayBuffer();
            return response.status;
          },
          (error: unknown) => `error: ${(error as Error).name}`,
        );
      const inFlight = Array.from({ length: 20 }, (_, i) => request(`/slow?ms=800&i=${i}`));
      await waitFor(
        '20 requests at the upstream',
        () => draining.upstream.matching('/slow').length >= 20,
      );
      const drained = draining.sidecar.drain();
      const readiness = await fetch(`${draining.sidecar.adminUrl}/readyz`).then(
        (response) => response.status,
        () => 'closed',
      );
      const late = await request('/orders/late');
      const results = await Promise.all(inFlight);
      await drained;
      const completed = results.filter((status) => status === 200).length;
      recorder.record({
        category: 'Sidecar: drain',
        name: 'drain with 20 requests in flight',
        tried:
          '20 requests waiting 800 ms at the upstream, then drain(); readiness and a new request during the drain',
        expected: '20/20 in-flight completed with 200; readiness 503; new request refused',
        observed: `${completed}/20 in-flight completed with 200; readiness ${readiness}; new request ${typeof late === 'number' ? `answered ${late}` : 'refused'}`,
        ok: completed === 20 && (readiness === 503 || readiness === 'closed') && late !== 200,
      });
      expect(completed).toBe(20);
      expect(late).not.toBe(200);
    } finally {
      await draining.close();
    }
  });
});

describe('failed-authentication flood', () => {
  it('PORTCULLIS_FAILED_AUTH_LIMIT: an address sending bad credentials is answered 429 with Retry-After', async () => {
    const limited = await startSidecarEnv(idp, { PORTCULLIS_FAILED_AUTH_LIMIT: '5' });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 12; i++) {
        const bad = Buffer.from(`flood-${i}:${randomBytes(8).toString('hex')}`).toString('base64');
        const response = await fetch(`${limited.sidecar.mainUrl}/orders/flood`, {
          headers: { authorization: `Basic ${bad}` },
        });
        await response.arrayBuffer();
        statuses.push(response.status);
        if (response.status === 429) retryAfter = response.headers.get('retry-after');
      }
      const first429 = statuses.indexOf(429);
      const observed = `${statuses.filter((s) => s === 401).length}× 401 then ${statuses.filter((s) => s === 429).length}× 429${retryAfter === null ? '' : ' with Retry-After'}; after the first 429: ${first429 === -1 ? 'no 429' : statuses.slice(first429).every((s) => s === 429) ? 'only 429' : 'mixed'}`;
      recorder.record({
        category: 'Sidecar: abuse',
        name: 'failed-authentication flood from one address',
        tried: '12 random Basic credentials from 127.0.0.1 with PORTCULLIS_FAILED_AUTH_LIMIT=5',
        expected: '5× 401 then 7× 429 with Retry-After; after the first 429: only 429',
        observed,
      });
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5).every((status) => status === 429)).toBe(true);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('forward-auth (verify-only mode)', () => {
  it('the verify answer carries only our identity headers, never the client copies', async () => {
    const verifier = await startSidecarEnv(idp, { PORTCULLIS_UPSTREAM: '' });
    try {
      const verify = async (
        uri: string,
        extra: string[],
      ): Promise<{ status: number; identity: Map<string, string> }> => {
        const exchange = await rawExchange(
          verifier.sidecar.mainUrl,
          rawRequestText([
            'GET /.portcullis/verify HTTP/1.1',
            'Host: auth.test',
            'Connection: close',
            'X-Original-Method: GET',
            `X-Original-URI: ${uri}`,
            'X-Portcullis-Tenant-Id: other-tenant',
            'x_portcullis_subject: attacker',
            'X-Portcullis-Permissions: admin',
            ...extra,
          ]),
        );
        const head = exchange.text.split('\r\n\r\n')[0] ?? '';
        const identity = new Map<string, string>();
        for (const line of head.split('\r\n').slice(1)) {
          const at = line.indexOf(':');
          const name = line.slice(0, at).trim().toLowerCase().replaceAll('_', '-');
          if (name.startsWith(PREFIX)) {
            const value = line.slice(at + 1).trim();
            identity.set(
              name,
              identity.has(name) ? `${identity.get(name)!}|DUPLICATE|${value}` : value,
            );
          }
        }
        return { status: exchange.statuses[0] ?? 0, identity };
      };
      const spoofed = (identity: Map<string, string>): string[] =>
        [...identity.values()].filter(
          (value) =>
            value.includes('|DUPLICATE|') || ['other-tenant', 'attacker', 'admin'].includes(value),
        );

      const authenticated = await verify('/orders', [`Authorization: Bearer ${jwt}`]);
      const anonymous = await verify('/public/info', []);
      const denied = await verify('/orders', []);
      const summarize = (answer: { status: number; identity: Map<string, string> }): string =>
        `${answer.status}; ${spoofed(answer.identity).length === 0 ? 'no spoofed value' : `spoofed: ${spoofed(answer.identity).join(', ')}`}; subject ${answer.identity.get('x-portcullis-subject') === subject ? 'from the credential' : answer.identity.has('x-portcullis-subject') ? 'wrong' : 'absent'}`;
      const results = [
        [
          'authenticated route with a valid JWT',
          authenticated,
          '200; no spoofed value; subject from the credential',
        ],
        ['public route, no credential', anonymous, '200; no spoofed value; subject absent'],
        ['authenticated route, no credential', denied, '401; no spoofed value; subject absent'],
      ] as const;
      const failures: string[] = [];
      for (const [name, answer, expected] of results) {
        if (
          !recorder.record({
            category: 'Sidecar: identity-header spoofing',
            name: `forward-auth verify: ${name}`,
            tried:
              'GET /.portcullis/verify with X-Portcullis-Tenant-Id, x_portcullis_subject and X-Portcullis-Permissions from the client',
            expected,
            observed: summarize(answer),
          })
        ) {
          failures.push(name);
        }
      }
      expect(failures).toEqual([]);
    } finally {
      await verifier.close();
    }
  });
});

describe('identity values that could split or inject headers', () => {
  it('tenant ids with a comma, a tab or non-ASCII reach the upstream percent-encoded, as one header', async () => {
    const reader = await idp.client.createRole(`reader-${randomUUID()}`, ['orders:read']);
    const failures: string[] = [];
    for (const tenantId of ['acme,admin', 'tenant\twith-tab', 'tenant-\u00e9t\u00e9']) {
      await idp.client.createTenant(tenantId);
      const token = await idp.client.createTenantApiToken(tenantId, [reader]);
      const tenantJwt = await idp.client.exchange(token.clientId, token.secret);
      const path = `/orders/${randomUUID()}`;
      const response = await fetch(`${env.sidecar.mainUrl}${path}`, {
        headers: { authorization: `Bearer ${tenantJwt}` },
      });
      await response.arrayBuffer();
      const received = env.upstream.matching(path)[0];
      const values = (received?.headers ?? [])
        .filter(([name]) => name.toLowerCase() === 'x-portcullis-tenant-id')
        .map(([, value]) => value);
      const value = values[0] ?? '';
      let decoded: string | undefined;
      try {
        decoded = decodeURIComponent(value);
      } catch {
        decoded = undefined;
      }
      const safe = /^[\x21-\x7e]*$/.test(value) && !value.includes(',');
      const observed = `status ${response.status}; ${values.length} header(s); ${safe ? 'visible ASCII without commas' : `raw value ${JSON.stringify(value)}`}; ${decoded === tenantId ? 'decodes to the tenant id' : 'does not decode to the tenant id'}`;
      const expected =
        'status 200; 1 header(s); visible ASCII without commas; decodes to the tenant id';
      if (
        !recorder.record({
          category: 'Sidecar: identity-header spoofing',
          name: `tenant id ${JSON.stringify(tenantId)}`,
          tried: 'a real tenant with this id at the IdP, its API-token JWT through the proxy',
          expected,
          observed,
        })
      ) {
        failures.push(`${JSON.stringify(tenantId)}: ${observed}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
