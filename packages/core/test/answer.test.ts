import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { authorize } from '../src/authorization.js';
import { PortcullisError } from '../src/errors.js';
import { errorResponse } from '../src/http/answer.js';

const plain = { realm: 'api', basic: false };

describe('errorResponse', () => {
  it('401 without a credential: challenge without an error code', () => {
    const answer = errorResponse(new PortcullisError('ERR_NO_CREDENTIAL', 'no credential'), plain);
    expect(answer).toEqual({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="api"' },
      body: {
        error: 'unauthorized',
        error_description: 'no credential',
        code: 'ERR_NO_CREDENTIAL',
      },
    });
  });

  it('401 invalid_token carries the error and description, and offers Basic when asked', () => {
    const answer = errorResponse(new PortcullisError('ERR_TOKEN_EXPIRED', 'the token expired'), {
      realm: 'api',
      basic: true,
    });
    expect(answer.status).toBe(401);
    expect(answer.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token expired", Basic realm="api"',
    );
    expect(answer.body).toEqual({
      error: 'invalid_token',
      error_description: 'the token expired',
      code: 'ERR_TOKEN_EXPIRED',
    });
  });

  it('400 invalid_request carries a challenge with the error', () => {
    const answer = errorResponse(new PortcullisError('ERR_MULTIPLE_CREDENTIALS', 'send one'), {
      realm: 'api',
      basic: true,
    });
    expect(answer.status).toBe(400);
    expect(answer.headers).toEqual({
      'WWW-Authenticate':
        'Bearer realm="api", error="invalid_request", error_description="send one"',
    });
    expect(answer.body.error).toBe('invalid_request');
  });

  it('403 insufficient_scope names the required scope from authorize()', () => {
    let denial: unknown;
    try {
      authorize(
        {
          subject: 's',
          ownerKind: 'client',
          credential: 'access_token',
          permissions: [],
          roles: [],
          scopes: ['a'],
          claims: {},
        },
        { scopes: ['a', 'b'] },
      );
    } catch (error) {
      denial = error;
    }
    const answer = errorResponse(denial, plain);
    expect(answer.status).toBe(403);
    expect(answer.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="missing scope(s): b", scope="a b"',
    );
    expect(answer.body.code).toBe('ERR_INSUFFICIENT_SCOPE');
  });

  it('503 and 429 carry Retry-After in whole seconds and no challenge', () => {
    const unavailable = errorResponse(
      new PortcullisError('ERR_IDP_UNAVAILABLE', 'the identity provider is unavailable', {
        retryAfterSec: 2.2,
      }),
      plain,
    );
    expect(unavailable).toEqual({
      status: 503,
      headers: { 'Retry-After': '3' },
      body: {
        error: 'temporarily_unavailable',
        error_description: 'the identity provider is unavailable',
        code: 'ERR_IDP_UNAVAILABLE',
      },
    });
    const limited = errorResponse(new PortcullisError('ERR_RATE_LIMITED', 'slow down'), plain);
    expect(limited.status).toBe(429);
    expect(limited.headers).toEqual({ 'Retry-After': '1' });
  });

  it('anything else is a generic 500 that leaks nothing', () => {
    const answer = errorResponse(new TypeError('secret=hunter2 at /srv/app.js:12'), plain);
    expect(answer).toEqual({
      status: 500,
      headers: {},
      body: { error: 'server_error', error_description: 'internal error', code: 'ERR_INTERNAL' },
    });
    expect(errorResponse('a string', plain).status).toBe(500);
    expect(errorResponse(undefined, plain).status).toBe(500);
  });

  it('recognises a PortcullisError from another copy of the package', () => {
    const foreign = Object.assign(new Error('the token expired'), {
      name: 'PortcullisError',
      code: 'ERR_TOKEN_EXPIRED',
      status: 401,
      oauthError: 'invalid_token',
      retryAfterSec: undefined,
      details: undefined,
      toJSON: () => ({
        error: 'invalid_token',
        error_description: 'the token expired',
        code: 'ERR_TOKEN_EXPIRED',
      }),
    });
    expect(errorResponse(foreign, plain).status).toBe(401);
  });

  it('produces headers a real Node server accepts, even from hostile descriptions', async () => {
    const answer = errorResponse(
      new PortcullisError('ERR_MALFORMED_CREDENTIAL', 'bad\r\nX-Injected: 1 “quoted” ✓'),
      plain,
    );
    const server = createServer((_req, res) => {
      res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect(response.status).toBe(400);
      expect(response.headers.get('x-injected')).toBeNull();
      expect(response.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="invalid_request", error_description="badX-Injected: 1 ?quoted? ?"',
      );
      expect(await response.json()).toMatchObject({ code: 'ERR_MALFORMED_CREDENTIAL' });
    } finally {
      server.close();
      await once(server, 'close');
    }
  });
});
