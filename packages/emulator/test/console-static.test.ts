/**
 * How the emulator serves the console's static files: the fixed file list, content types,
 * caching and security headers, methods, and refusal of anything outside the list.
 */
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_FILES } from '../src/console/assets.js';
import { startEmulator } from '../src/index.js';
import type { RunningEmulator } from '../src/index.js';

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ logger: () => {} });
});

afterAll(async () => {
  await emu?.close();
});

/** A raw request: the path goes on the wire exactly as written (fetch would normalise `..`). */
function raw(
  method: string,
  path: string,
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  const { port } = new URL(emu.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function shippedFiles(dir: URL, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? shippedFiles(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

describe('console static files', () => {
  it('serves the page at /console and /console/ with no-store and a strict CSP', async () => {
    for (const path of ['/console', '/console/', '/console/index.html']) {
      const answer = await raw('GET', path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['x-frame-options']).toBe('DENY');
      const csp = String(answer.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(answer.body).toContain('<script type="module" src="/console/app.js">');
      // The CSP forbids inline code, so the page must have none.
      expect(answer.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(answer.body).not.toMatch(/\son[a-z]+=/i);
    }
  });

  it('lists exactly the files shipped in console/, each with its content type', async () => {
    const onDisk = shippedFiles(new URL('../console/', import.meta.url)).sort();
    expect(Object.keys(CONSOLE_FILES).sort()).toEqual(onDisk);
    const types: Record<string, string> = {
      html: 'text/html; charset=utf-8',
      css: 'text/css; charset=utf-8',
      js: 'text/javascript; charset=utf-8',
    };
    for (const file of onDisk) {
      const answer = await raw('GET', `/console/${file}`);
      expect(answer.status, file).toBe(200);
      expect(answer.headers['content-type'], file).toBe(types[file.split('.').pop() ?? '']);
      expect(answer.headers['cache-control'], file).toBe('no-store');
      expect(answer.body.length, file).toBeGreaterThan(0);
      expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    }
  });

  it('answers HEAD without a body and refuses other methods with 405', async () => {
    const head = await raw('HEAD', '/console/app.js');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const answer = await raw(method, '/console/app.js');
      expect(answer.status, method).toBe(405);
      expect(answer.headers['allow']).toBe('GET, HEAD');
      expect(JSON.parse(answer.body)).toEqual({
        errors: [`Method ${method} not allowed on /console/app.js`],
      });
    }
  });

  it('refuses unknown names and every traversal attempt with 404', async () => {
    for (const path of [
      '/console/nope.js',
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/..%2fpackage.json',
      '/console/panels/../../package.json',
      '/console/%2e%2e%2f%2e%2e%2fsrc%2findex.ts',
      '/console/panels',
      '/console/constructor',
      '/console/__proto__',
      '/console//app.js',
      '/consoleapp.js',
    ]) {
      const answer = await raw('GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toContain('"version"');
      expect(answer.body, path).not.toContain('startEmulator');
    }
  });

  it('stays up while faults take the API down', async () => {
    const auth = await fetch(`${emu.url}/auth/vendor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: emu.vendor.clientId, secret: emu.vendor.secret }),
    });
    const { token } = (await auth.json()) as { token: string };
    const admin = (method: string, body?: unknown) =>
      fetch(`${emu.url}/_emulator/faults`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await admin('POST', { group: 'all', mode: 'down' })).status).toBe(200);
    try {
      expect((await raw('GET', '/tenants/resources/tenants/v1')).status).toBe(503);
      expect((await raw('GET', '/console')).status).toBe(200);
      expect((await raw('GET', '/console/app.js')).status).toBe(200);
    } finally {
      expect((await admin('DELETE')).status).toBe(200);
    }
  });

  it('leaves the API untouched: JSON 404 for unknown routes, no CSP on API answers', async () => {
    const answer = await raw('GET', '/consoles');
    expect(answer.status).toBe(404);
    expect(answer.headers['content-security-policy']).toBeUndefined();
    const jwks = await raw('GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.headers['content-security-policy']).toBeUndefined();
  });
});
