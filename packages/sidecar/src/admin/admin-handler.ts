/**
 * The admin listener: `/healthz` (liveness), `/readyz` (readiness, docs/design.md §7), `/metrics`,
 * `/.well-known/jwks.json` (identity JWT keys, when enabled) and the operator API under `/v1/`,
 * which needs `Authorization: Bearer <PORTCULLIS_ADMIN_TOKEN>` and is absent without a token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Selector } from '@portcullis/core';
import type { SidecarAuthenticator } from '../authenticator-port.js';
import type { SidecarLogger } from '../logging/logger.js';
import type { SidecarMetrics } from '../metrics/sidecar-metrics.js';
import { parseSelector } from './selector.js';

export interface AdminHandlerOptions {
  readonly authenticator: SidecarAuthenticator;
  readonly metrics: SidecarMetrics;
  readonly logger: SidecarLogger;
  readonly adminToken: string | undefined;
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] } | undefined;
  readonly draining: () => boolean;
}

const MAX_BODY_BYTES = 16 * 1024;

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Constant-time bearer check on equal-length digests. */
function authorized(request: IncomingMessage, expected: Buffer): boolean {
  const header = request.headers.authorization;
  if (header === undefined || !/^Bearer /i.test(header)) return false;
  return timingSafeEqual(digest(header.slice(7).trim()), expected);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? {} : JSON.parse(text);
}

/** The admin listener's request handler. */
export function createAdminHandler(
  options: AdminHandlerOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const { authenticator } = options;
  const tokenDigest = options.adminToken === undefined ? undefined : digest(options.adminToken);

  async function operator(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
  ): Promise<void> {
    if (tokenDigest === undefined) {
      json(response, 404, {
        error: 'not_found',
        error_description: 'the operator API is off (no admin token)',
      });
      return;
    }
    if (!authorized(request, tokenDigest)) {
      response.setHeader('www-authenticate', 'Bearer realm="portcullis-admin"');
      json(response, 401, { error: 'unauthorized', error_description: 'admin token required' });
      return;
    }
    const method = request.method ?? 'GET';
    if (method === 'GET' && path === '/v1/policy') {
      json(response, 200, authenticator.policy.current());
      return;
    }
    if (method === 'GET' && path === '/v1/tombstones') {
      json(response, 200, { tombstones: authenticator.tombstones() });
      return;
    }
    if (method === 'POST' && path === '/v1/flush') {
      await authenticator.flush();
      options.logger.warn({ operator: 'flush' }, 'operator flushed the cache');
      json(response, 200, { ok: true });
      return;
    }
    if (method === 'POST' && (path === '/v1/revoke' || path === '/v1/invalidate')) {
      let selector: Selector;
      try {
        selector = parseSelector(await readJson(request));
      } catch (error) {
        json(response, 400, {
          error: 'invalid_request',
          error_description: (error as Error).message,
        });
        return;
      }
      if (path === '/v1/revoke') await authenticator.revoke(selector);
      else await authenticator.invalidate(selector);
      options.logger.warn({ operator: path.slice(4), selector }, 'operator action');
      json(response, 200, { ok: true, action: path.slice(4), selector });
      return;
    }
    json(response, 404, { error: 'not_found', error_description: 'no such operator endpoint' });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] as string;
    if (path === '/healthz') {
      // Liveness: the process answers. IdP, Redis or policy trouble is reported, never a restart
      // reason (restarting cannot fix an IdP outage) — readiness is where traffic is gated.
      const health = authenticator.health();
      json(response, 200, {
        status: health.degraded ? 'degraded' : 'ok',
        reasons: health.reasons,
        components: health.components,
      });
      return;
    }
    if (path === '/readyz') {
      const health = authenticator.health();
      const ready = health.ready && !options.draining();
      const reasons = options.draining() ? ['draining', ...health.reasons] : health.reasons;
      json(response, ready ? 200 : 503, {
        status: ready ? (health.degraded ? 'degraded' : 'ready') : 'not-ready',
        reasons,
        components: health.components,
      });
      return;
    }
    if (path === '/metrics') {
      const text = await options.metrics.render();
      response.writeHead(200, { 'content-type': options.metrics.contentType });
      response.end(text);
      return;
    }
    if (path === '/.well-known/jwks.json' && options.jwks !== undefined) {
      response.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'max-age=300',
      });
      response.end(JSON.stringify(options.jwks));
      return;
    }
    if (path.startsWith('/v1/')) {
      await operator(request, response, path);
      return;
    }
    json(response, 404, { error: 'not_found', error_description: 'no such endpoint' });
  }

  return (request: IncomingMessage, response: ServerResponse): void => {
    handle(request, response).catch((error: unknown) => {
      options.logger.error({ err: { message: (error as Error).message } }, 'admin request failed');
      if (!response.headersSent)
        json(response, 500, { error: 'server_error', error_description: 'internal error' });
      else response.destroy();
    });
  };
}
