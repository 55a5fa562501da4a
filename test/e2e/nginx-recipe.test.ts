/**
 * docker/recipes/nginx-auth-request.conf in a real nginx: `auth_request` to a verify-only
 * Portcullis (against the emulator) in front of an echo upstream. Allowed requests reach the
 * upstream with Portcullis's identity headers, denied ones do not, and no client copy of an
 * X-Portcullis-* header — `_` and mixed spellings included — ever reaches the upstream.
 * Skipped only when nginx is absent outside CI (.ci/run installs it).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '@portcullis/emulator';
import type { RunningEmulator } from '@portcullis/emulator';
import { loadConfig, startSidecar } from '@portcullis/sidecar';
import type { RunningSidecar } from '@portcullis/sidecar';

const NGINX = process.env['NGINX_BIN'] ?? '/usr/sbin/nginx';
const RECIPE = fileURLToPath(
  new URL('../../docker/recipes/nginx-auth-request.conf', import.meta.url),
);
const ROUTES = fileURLToPath(new URL('../../docker/config/portcullis.yaml', import.meta.url));
const runs = existsSync(NGINX) || process.env['CI'] !== undefined;

const CLIENT = { clientId: 'nginx-recipe-client', secret: 'nginx-recipe-secret-0123456789' };
const basic = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.secret}`).toString('base64')}`;

/** What reached the upstream, per request id. */
const seen = new Map<string, { headers: IncomingHttpHeaders; rawNames: string[]; path: string }>();
let requestCounter = 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * One request through nginx over a raw socket, so header names are sent exactly as written
 * (fetch and http.request normalise or refuse some spellings).
 */
function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: ReadonlyArray<readonly [string, string]>,
): Promise<{ status: number; head: string; id: string }> {
  const id = `req-${++requestCounter}`;
  const lines = [
    `${method} ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    `X-Test-Id: ${id}`,
    'Connection: close',
    ...headers.map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(lines.join('\r\n')));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.once('error', reject);
    socket.once('end', () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1]);
      resolve({ status, head: data.split('\r\n\r\n')[0] ?? '', id });
    });
  });
}

describe.runIf(runs)('nginx auth_request recipe', () => {
  let dir: string;
  let emulator: RunningEmulator;
  let sidecar: RunningSidecar;
  let upstream: Server;
  let nginx: ChildProcess;
  let nginxPort: number;
  let nginxExit: Promise<number | null>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-nginx-'));
    emulator = await startEmulator({
      logger: () => {},
      seed: {
        permissions: [{ key: 'orders.read' }, { key: 'orders.write' }],
        roles: [{ key: 'orders-reader', permissionKeys: ['orders.read'] }],
        tenants: [{ tenantId: 'acme' }],
        apiTokens: [{ kind: 'tenant', tenantId: 'acme', ...CLIENT, roleKeys: ['orders-reader'] }],
      },
    });

    upstream = createServer((request, response) => {
      const id = String(request.headers['x-test-id']);
      const rawNames = request.rawHeaders.filter((_value, index) => index % 2 === 0);
      seen.set(id, { headers: request.headers, rawNames, path: request.url ?? '' });
      request.resume();
      response.writeHead(200, { 'content-type': 'text/plain' }).end('upstream');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));

    const config = loadConfig({
      PORTCULLIS_LISTEN: '127.0.0.1:0',
      PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
      PORTCULLIS_PROVIDER: 'frontegg',
      PORTCULLIS_FRONTEGG_BASE_URL: emulator.url,
      PORTCULLIS_FRONTEGG_APP_URL: emulator.appUrl,
      PORTCULLIS_FRONTEGG_CLIENT_ID: emulator.vendor.clientId,
      PORTCULLIS_FRONTEGG_API_KEY: emulator.vendor.secret,
      PORTCULLIS_CONFIG: ROUTES,
      PORTCULLIS_VERIFY_URI_SOURCE: 'x-original',
      PORTCULLIS_LOG_LEVEL: 'silent',
    });
    sidecar = await startSidecar(config);
    await until('sidecar readiness', async () => {
      const response = await fetch(`${sidecar.adminUrl}/readyz`).catch(() => undefined);
      return response?.status === 200;
    });

    nginxPort = await freePort();
    const sidecarPort = new URL(sidecar.mainUrl).port;
    const upstreamPort = (upstream.address() as AddressInfo).port;
    let recipe = readFileSync(RECIPE, 'utf8');
    // The recipe's addresses, each of which must appear exactly once.
    for (const [from, to] of [
      ['server 127.0.0.1:8080;', `server 127.0.0.1:${sidecarPort};`],
      ['server 127.0.0.1:3000;', `server 127.0.0.1:${upstreamPort};`],
      ['listen 80;', `listen 127.0.0.1:${nginxPort};`],
    ] as const) {
      expect(recipe.split(from)).toHaveLength(2);
      recipe = recipe.replace(from, to);
    }
    writeFileSync(join(dir, 'recipe.conf'), recipe);
    const temp = (name: string): string => `${name}_temp_path ${join(dir, name)};`;
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        // As root, nginx's workers need a user that exists everywhere.
        process.getuid?.() === 0 ? 'user root root;' : '',
        'worker_processes 1;',
        `error_log ${join(dir, 'error.log')} warn;`,
        `pid ${join(dir, 'nginx.pid')};`,
        'events { worker_connections 64; }',
        'http {',
        `  access_log ${join(dir, 'access.log')};`,
        `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
        `  include ${join(dir, 'recipe.conf')};`,
        '}',
      ].join('\n'),
    );
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    nginx.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    nginxExit = new Promise((resolve) => nginx.once('exit', (code) => resolve(code)));
    await until('nginx to listen', async () => {
      if (nginx.exitCode !== null) {
        const log = existsSync(join(dir, 'error.log'))
          ? readFileSync(join(dir, 'error.log'), 'utf8')
          : '';
        throw new Error(`nginx exited ${nginx.exitCode}: ${stderr}${log}`);
      }
      return accepts(nginxPort);
    });
  }, 60_000);

  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      nginx.kill('SIGQUIT');
      await nginxExit;
    }
    await sidecar?.close();
    await emulator?.close();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Client-supplied copies of identity headers: every spelling a framework might fold. */
  const forged: ReadonlyArray<readonly [string, string]> = [
    ['X-Portcullis-Tenant-Id', 'forged-tenant'],
    ['x-portcullis-user-id', 'forged-user'],
    ['X-PORTCULLIS-ROLES', 'forged-admin'],
    ['X_Portcullis_Tenant_Id', 'forged-underscore'],
    ['x_portcullis_permissions', 'forged-underscore'],
    ['X-Portcullis_Subject', 'forged-mixed'],
    ['X_Portcullis-Owner-Kind', 'forged-mixed'],
    ['X-Portcullis-Identity', 'forged-jwt'],
    ['X-Portcullis-Scopes', 'forged-scope'],
  ];

  function portcullisHeadersAt(id: string): Record<string, string> {
    const request = seen.get(id);
    expect(request, `request ${id} reached the upstream`).toBeDefined();
    const out: Record<string, string> = {};
    for (const name of request!.rawNames) {
      if (name.toLowerCase().replaceAll('_', '-').startsWith('x-portcullis-')) {
        // Keyed by the name as sent: an `_` spelling would show up as its own key, and a
        // duplicate (client copy + ours) as a joined value.
        expect(out[name.toLowerCase()], `${name} sent once`).toBeUndefined();
        out[name.toLowerCase()] = String(request!.headers[name.toLowerCase()]);
      }
    }
    return out;
  }

  it('allows a valid credential and passes only Portcullis’s identity headers', async () => {
    const answer = await rawRequest(nginxPort, 'GET', '/orders/42', [
      ['Authorization', basic],
      ...forged,
    ]);
    expect(answer.status).toBe(200);
    const identity = portcullisHeadersAt(answer.id);
    expect(identity).toEqual({
      'x-portcullis-subject': CLIENT.clientId,
      'x-portcullis-tenant-id': 'acme',
      'x-portcullis-client-id': CLIENT.clientId,
      'x-portcullis-owner-kind': 'tenant',
      'x-portcullis-credential': 'client_credentials',
      'x-portcullis-permissions': 'orders.read',
      'x-portcullis-roles': 'orders-reader',
    });
    // The credential stays at the edge.
    expect(seen.get(answer.id)!.headers['authorization']).toBeUndefined();
  });

  it('denies a missing credential with 401 and the RFC 6750 challenge', async () => {
    const answer = await rawRequest(nginxPort, 'GET', '/orders/42', forged);
    expect(answer.status).toBe(401);
    expect(answer.head).toMatch(/^WWW-Authenticate: Bearer realm="portcullis"/im);
    expect(seen.has(answer.id)).toBe(false);
  });

  it('denies a wrong secret with 401', async () => {
    const wrong = `Basic ${Buffer.from(`${CLIENT.clientId}:not-the-secret`).toString('base64')}`;
    const answer = await rawRequest(nginxPort, 'GET', '/orders/42', [['Authorization', wrong]]);
    expect(answer.status).toBe(401);
    expect(answer.head).toMatch(/invalid_token|invalid_client/);
    expect(seen.has(answer.id)).toBe(false);
  });

  it('denies a missing permission with 403 (route rule from the shared config)', async () => {
    const answer = await rawRequest(nginxPort, 'POST', '/orders', [
      ['Authorization', basic],
      ['Content-Length', '0'],
    ]);
    expect(answer.status).toBe(403);
    expect(answer.head).toMatch(/insufficient_scope/);
    expect(seen.has(answer.id)).toBe(false);
  });

  it('strips every forged identity header on a public route too', async () => {
    const answer = await rawRequest(nginxPort, 'GET', '/health', forged);
    expect(answer.status).toBe(200);
    expect(portcullisHeadersAt(answer.id)).toEqual({});
  });

  it('judges the original path, not the verify path (encoded traversal is refused)', async () => {
    const answer = await rawRequest(nginxPort, 'GET', '/health/..%2fadmin', [
      ['Authorization', basic],
    ]);
    // Portcullis answers 400; nginx turns any auth answer but 401/403 into 500 (see the recipe).
    expect(answer.status).toBe(500);
    expect(seen.has(answer.id)).toBe(false);
  });
});
