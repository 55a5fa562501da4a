import diagnostics from 'node:diagnostics_channel';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent, interceptors } from 'undici';
import { CHANNELS } from '../src/diagnostics.js';
import type { IdpCallEvent } from '../src/diagnostics.js';
import { PortcullisError } from '../src/errors.js';
import { idpRequest } from '../src/http/idp-request.js';
import type { IdpRequestOptions } from '../src/http/idp-request.js';
import { retryAfterSecFrom } from '../src/http/idp-retry-after.js';
import { startTestServer } from './helpers/http-server.js';
import type { TestServer } from './helpers/http-server.js';
import { rejection } from './helpers/rejection.js';

describe('idpRequest', () => {
  let server: TestServer;
  const call = (path: string, extra: Partial<IdpRequestOptions> = {}) =>
    idpRequest({ operation: 'test', url: `${server.url}${path}`, timeoutMs: 2000, ...extra });

  beforeAll(async () => {
    server = await startTestServer(() => ({ status: 404 }));
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.requests.length = 0;
  });

  it('POSTs a form with our headers and parses the JSON answer', async () => {
    server.setHandler(() => ({ status: 200, body: { ok: true } }));
    const response = await call('/form', {
      form: { grant_type: 'client_credentials', resource: ['a', 'b'], skipped: undefined },
      headers: { authorization: 'Basic eDp5' },
    });
    expect(response).toMatchObject({ status: 200, body: { ok: true } });
    const [seen] = server.requests;
    expect(seen?.method).toBe('POST');
    expect(seen?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen?.headers.accept).toBe('application/json');
    expect(seen?.headers.authorization).toBe('Basic eDp5');
    expect(seen?.body).toBe('grant_type=client_credentials&resource=a&resource=b');
  });

  it('POSTs a JSON body when asked', async () => {
    server.setHandler(() => ({ status: 201, body: { created: true } }));
    const response = await call('/json', { json: { clientId: 'c', secret: 's' } });
    expect(response).toMatchObject({ status: 201, body: { created: true } });
    const [seen] = server.requests;
    expect(seen?.method).toBe('POST');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen?.body ?? '')).toEqual({ clientId: 'c', secret: 's' });
  });

  it('returns 4xx answers (other than 429) for the caller to judge', async () => {
    server.setHandler(() => ({ status: 401, body: { error: 'invalid_client' } }));
    await expect(call('/x')).resolves.toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    server.setHandler(() => ({ status: 400, body: '<html>bad</html>' }));
    await expect(call('/x')).resolves.toMatchObject({ status: 400, body: undefined });
  });

  it('does not follow redirects, even through a dispatcher with the redirect interceptor', async () => {
    server.setHandler((request) =>
      request.path === '/moved'
        ? { status: 302, headers: { location: `${server.url}/target` } }
        : { status: 200, body: { reached: true } },
    );
    const error = await rejection(call('/moved'));
    expect(error.code).toBe('ERR_IDP_RESPONSE_INVALID');
    expect(error.status).toBe(503);
    expect(error.message).toContain('redirect');
    const following = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }));
    try {
      expect((await rejection(call('/moved', { dispatcher: following }))).code).toBe(
        'ERR_IDP_RESPONSE_INVALID',
      );
    } finally {
      await following.close();
    }
    expect(server.count('/target')).toBe(0);
  });

  it('maps 429 and 5xx to ERR_IDP_UNAVAILABLE with a sane Retry-After', async () => {
    server.setHandler(() => ({
      status: 429,
      headers: { 'retry-after': '12' },
      body: { error: 'slow down' },
    }));
    const limited = await rejection(call('/x'));
    expect(limited).toMatchObject({ code: 'ERR_IDP_UNAVAILABLE', status: 503, retryAfterSec: 12 });
    server.setHandler(() => ({ status: 503, headers: { 'retry-after': '86400' } }));
    expect((await rejection(call('/x'))).retryAfterSec).toBe(1);
    server.setHandler(() => ({ status: 500, body: 'boom' }));
    expect(await rejection(call('/x'))).toMatchObject({
      code: 'ERR_IDP_UNAVAILABLE',
      retryAfterSec: 1,
    });
  });

  it('maps a 2xx that is not JSON to ERR_IDP_RESPONSE_INVALID', async () => {
    server.setHandler(() => ({ status: 200, body: 'not json {' }));
    expect((await rejection(call('/x'))).code).toBe('ERR_IDP_RESPONSE_INVALID');
    server.setHandler(() => ({ status: 200 }));
    expect((await rejection(call('/x'))).code).toBe('ERR_IDP_RESPONSE_INVALID');
  });

  it('bounds the body, whether or not its length is declared', async () => {
    const big = { data: 'x'.repeat(5000) };
    server.setHandler(() => ({ status: 200, body: big }));
    const declared = await rejection(call('/x', { maxBodyBytes: 1000 }));
    expect(declared.code).toBe('ERR_IDP_RESPONSE_INVALID');
    server.setHandler(() => ({
      status: 200,
      headers: { 'transfer-encoding': 'chunked' },
      body: big,
    }));
    const streamed = await rejection(call('/x', { maxBodyBytes: 1000 }));
    expect(streamed.code).toBe('ERR_IDP_RESPONSE_INVALID');
    expect(streamed.message).toContain('more than 1000 bytes');
    await expect(call('/x', { maxBodyBytes: 10_000 })).resolves.toMatchObject({ status: 200 });
  });

  it('times out a hanging IdP with ERR_IDP_UNAVAILABLE', async () => {
    server.setHandler(() => ({ hang: true }));
    const error = await rejection(call('/x', { timeoutMs: 150 }));
    expect(error.code).toBe('ERR_IDP_UNAVAILABLE');
    expect(error.message).toContain('timed out after 150 ms');
  });

  it('maps a connection cut mid-body and a refused connection to ERR_IDP_UNAVAILABLE', async () => {
    server.setHandler(() => ({ partial: '{"keys":[' }));
    expect((await rejection(call('/x'))).code).toBe('ERR_IDP_UNAVAILABLE');
    const gone = await startTestServer(() => ({ status: 200, body: {} }));
    const url = gone.url;
    await gone.close();
    const refused = await rejection(idpRequest({ operation: 'test', url, timeoutMs: 1000 }));
    expect(refused.code).toBe('ERR_IDP_UNAVAILABLE');
    expect(refused.message).toContain('could not be reached');
  });

  it("rethrows the caller's PortcullisError abort reason", async () => {
    server.setHandler(() => ({ hang: true }));
    const controller = new AbortController();
    const pending = call('/x', { signal: controller.signal });
    setTimeout(() => controller.abort(new PortcullisError('ERR_CLOSED', 'closing')), 20);
    expect((await rejection(pending)).code).toBe('ERR_CLOSED');
  });

  it('uses the injected dispatcher and publishes one idp event per call', async () => {
    server.setHandler(() => ({ status: 200, body: {} }));
    let dispatched = 0;
    const counting = new Agent().compose((dispatch) => (options, handler) => {
      dispatched += 1;
      return dispatch(options, handler);
    });
    const events: IdpCallEvent[] = [];
    const listener = (message: unknown): void => {
      events.push(message as IdpCallEvent);
    };
    diagnostics.subscribe(CHANNELS.idp, listener);
    try {
      await call('/ok', { dispatcher: counting, operation: 'introspection' });
      server.setHandler(() => ({ status: 502 }));
      await rejection(call('/bad', { dispatcher: counting, operation: 'token' }));
    } finally {
      diagnostics.unsubscribe(CHANNELS.idp, listener);
      await counting.close();
    }
    expect(dispatched).toBe(2);
    expect(events).toMatchObject([
      { operation: 'introspection', outcome: 'ok', status: 200 },
      { operation: 'token', outcome: 'error', status: 502 },
    ]);
    expect(events.every((event) => typeof event.durationMs === 'number')).toBe(true);
  });
});

describe('retryAfterSecFrom', () => {
  const now = Date.UTC(2026, 0, 1);
  it('honours sane values and replaces the rest by 1', () => {
    expect(retryAfterSecFrom('30', now)).toBe(30);
    expect(retryAfterSecFrom(['5', '9'], now)).toBe(5);
    expect(retryAfterSecFrom(new Date(now + 20_000).toUTCString(), now)).toBe(20);
    for (const insane of [
      undefined,
      '',
      '0',
      '-3',
      '301',
      '1e9',
      'soon',
      new Date(now - 5000).toUTCString(),
    ]) {
      expect(retryAfterSecFrom(insane, now)).toBe(1);
    }
  });
});
