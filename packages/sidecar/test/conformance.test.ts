/**
 * Conformance runner: the shared case set (test/conformance) through the sidecar, both as a reverse
 * proxy (identity read from the headers the upstream received) and as a forward-auth service
 * (nginx style; identity read from the answer's headers), against the Frontegg emulator.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createAuthenticator, frontegg } from '@portcullis/core';
import type { Authenticator } from '@portcullis/core';
import { assertAnswer } from '../../../test/conformance/assert.js';
import type { SurfaceAnswer } from '../../../test/conformance/assert.js';
import { CONFORMANCE_CASES } from '../../../test/conformance/cases.js';
import type { ConformanceRequest } from '../../../test/conformance/cases.js';
import { startConformanceEnv } from '../../../test/conformance/env.js';
import type { ConformanceEnv } from '../../../test/conformance/env.js';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/logging/logger.js';
import { startSidecar } from '../src/sidecar.js';
import type { RunningSidecar } from '../src/sidecar.js';
import { startUpstream } from './helpers/upstream.js';
import type { EchoBody, RunningUpstream } from './helpers/upstream.js';

// The case set's abstract routes as sidecar route rules.
const RULES = `
routes:
  rules:
    - path: /needs-permission
      permissions: [reports:export]
    - path: /has-permission
      permissions: [orders:read]
    - path: /tenants/{tenantId}/data
      tenant: { pathParam: tenantId }
`;

let env: ConformanceEnv;
let upstream: RunningUpstream;
let authenticator: Authenticator;
let proxy: RunningSidecar;
let verify: RunningSidecar;

beforeAll(async () => {
  env = await startConformanceEnv();
  upstream = await startUpstream();
  authenticator = createAuthenticator({
    provider: frontegg(env.provider),
    policy: { acceptedCredentials: ['client_credentials', 'access_token'] },
  });
  await authenticator.ready();
  const base = {
    PORTCULLIS_CONFIG: 'rules.yaml',
    PORTCULLIS_PROVIDER: 'frontegg',
    PORTCULLIS_FRONTEGG_BASE_URL: env.provider.baseUrl,
    PORTCULLIS_FRONTEGG_APP_URL: env.provider.appUrl,
    PORTCULLIS_FRONTEGG_CLIENT_ID: env.provider.clientId,
    PORTCULLIS_FRONTEGG_API_KEY: env.provider.apiKey,
    PORTCULLIS_LISTEN: '127.0.0.1:0',
    PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
  };
  const readFile = (): string => RULES;
  const logger = createLogger('silent');
  proxy = await startSidecar(
    loadConfig({ ...base, PORTCULLIS_UPSTREAM: upstream.url }, [], { readFile }),
    {
      authenticator,
      logger,
    },
  );
  verify = await startSidecar(loadConfig(base, [], { readFile }), { authenticator, logger });
});

afterAll(async () => {
  await proxy?.close();
  await verify?.close();
  await authenticator?.close();
  await upstream?.close();
  await env?.close();
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  baseUrl: string,
  path: string,
  headers: ConformanceRequest['headers'] | Record<string, string>,
): Promise<Raw> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    for (const [name, value] of Object.entries(headers))
      req.setHeader(name, value as string | string[]);
    req.on('error', reject);
    req.end();
  });
}

const decode = (value: unknown): string | undefined =>
  typeof value === 'string' ? decodeURIComponent(value) : undefined;

function identityFrom(headers: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const field = (name: string): string | undefined => decode(headers[`x-portcullis-${name}`]);
  return {
    subject: field('subject'),
    tenantId: field('tenant-id'),
    userId: field('user-id'),
    ownerKind: field('owner-kind'),
    credential: field('credential'),
  };
}

function answerFrom(
  raw: Raw,
  identitySource: Readonly<Record<string, unknown>> | undefined,
): SurfaceAnswer {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(raw.headers))
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  if (raw.status === 200)
    return { status: 200, headers, identity: identityFrom(identitySource ?? {}) };
  const code = raw.body === '' ? undefined : (JSON.parse(raw.body) as { code?: string }).code;
  return { status: raw.status, headers, ...(code === undefined ? {} : { code }) };
}

describe('conformance: sidecar reverse proxy', () => {
  for (const testCase of CONFORMANCE_CASES) {
    it(testCase.name, async () => {
      const req = testCase.request(env.credentials);
      const raw = await send(proxy.mainUrl, req.path, req.headers);
      const upstreamSaw =
        raw.status === 200 ? (JSON.parse(raw.body) as EchoBody).headers : undefined;
      assertAnswer(answerFrom(raw, upstreamSaw), testCase.expect(env.credentials), testCase.name);
    });
  }
});

describe('conformance: sidecar forward-auth (nginx style)', () => {
  for (const testCase of CONFORMANCE_CASES) {
    it(testCase.name, async () => {
      const req = testCase.request(env.credentials);
      const raw = await send(verify.mainUrl, '/.portcullis/verify', {
        ...req.headers,
        'x-original-url': `https://api.example.test${req.path}`,
        'x-original-method': 'GET',
      });
      assertAnswer(answerFrom(raw, raw.headers), testCase.expect(env.credentials), testCase.name);
    });
  }
});
