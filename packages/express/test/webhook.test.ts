import { request as httpRequest } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authenticator, Logger } from '@portcullis/core';
import { m2mAuth, webhookHandler } from '../src/index.js';
import { STANDARD_SECRET, authenticatorFor, serve, signedDelivery } from './support/harness.js';
import type { Served } from './support/harness.js';
import { startTestIdp } from './support/test-idp.js';
import type { TestIdp } from './support/test-idp.js';

const frameworks = [
  ['Express 5', express5],
  ['Express 4', express4],
] as const;

let idp: TestIdp;
let authenticator: Authenticator;

beforeAll(async () => {
  idp = await startTestIdp();
  authenticator = await authenticatorFor(idp);
});

afterAll(async () => {
  await authenticator.close();
  await idp.close();
});

function capturingLogger(): Logger & { readonly errors: string[] } {
  const errors: string[] = [];
  const ignore = (): void => undefined;
  return {
    errors,
    debug: ignore,
    info: ignore,
    warn: ignore,
    error: (_obj, msg) => void errors.push(msg ?? ''),
  };
}

async function tokenWithId(): Promise<{ token: string; jti: string }> {
  const jti = `tok-${crypto.randomUUID()}`;
  return { token: await idp.mint({ jti }), jti };
}

describe.each(frameworks)('webhookHandler on %s', (_name, express) => {
  let served: Served;
  const lateLogger = capturingLogger();

  beforeAll(async () => {
    const app = express();
    // Mounted before the body parser, as the README says.
    app.post('/webhooks/standard', webhookHandler(authenticator, { receiver: 'standard' }));
    app.post(
      '/webhooks/small',
      webhookHandler(authenticator, { receiver: 'standard', maxBodyBytes: 1024 }),
    );
    app.post(
      '/webhooks/raw',
      express.raw({ type: '*/*' }),
      webhookHandler(authenticator, { receiver: 'standard' }),
    );
    app.use(express.json());
    // Mounted after express.json(): the raw body is gone.
    app.post(
      '/webhooks/late',
      webhookHandler(authenticator, { receiver: 'standard', logger: lateLogger }),
    );
    app.get(
      '/orders',
      m2mAuth(authenticator),
      (req, res) => void res.json({ sub: req.auth?.subject }),
    );
    served = await serve(app);
  });
  afterAll(async () => served.close());

  const call = (token: string) =>
    request(served.server).get('/orders').set('Authorization', `Bearer ${token}`);

  it('applies a signed token.revoked before answering 200, so the token is refused right after', async () => {
    const { token, jti } = await tokenWithId();
    expect((await call(token)).status).toBe(200);
    const delivery = signedDelivery(STANDARD_SECRET, {
      type: 'token.revoked',
      data: { tokenId: jti },
    });
    const res = await request(served.server)
      .post('/webhooks/standard')
      .set(delivery.headers)
      .send(delivery.body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, event: 'token.revoked' });
    const after = await call(token);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('ERR_TOKEN_REVOKED');
  });

  it('takes the Buffer left by express.raw() on its route', async () => {
    const { token, jti } = await tokenWithId();
    const delivery = signedDelivery(STANDARD_SECRET, {
      type: 'token.revoked',
      data: { tokenId: jti },
    });
    const res = await request(served.server)
      .post('/webhooks/raw')
      .set(delivery.headers)
      .send(delivery.body);
    expect(res.status).toBe(200);
    expect((await call(token)).status).toBe(401);
  });

  it('refuses a bad signature with 401 and applies nothing', async () => {
    const { token, jti } = await tokenWithId();
    const delivery = signedDelivery(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, {
      type: 'token.revoked',
      data: { tokenId: jti },
    });
    const res = await request(served.server)
      .post('/webhooks/standard')
      .set(delivery.headers)
      .send(delivery.body);
    expect(res.status).toBe(401);
    expect(res.body.ok).toBe(false);
    expect((await call(token)).status).toBe(200);
  });

  it('verifies the exact bytes: a re-serialised body fails the signature', async () => {
    const { token, jti } = await tokenWithId();
    const delivery = signedDelivery(STANDARD_SECRET, {
      type: 'token.revoked',
      data: { tokenId: jti },
    });
    const reformatted = JSON.stringify(JSON.parse(delivery.body), null, 2);
    const res = await request(served.server)
      .post('/webhooks/standard')
      .set(delivery.headers)
      .send(reformatted);
    expect(res.status).toBe(401);
    expect((await call(token)).status).toBe(200);
  });

  it('fails loudly with 500 and a log line when mounted after express.json(), applying nothing', async () => {
    const { token, jti } = await tokenWithId();
    const delivery = signedDelivery(STANDARD_SECRET, {
      type: 'token.revoked',
      data: { tokenId: jti },
    });
    const res = await request(served.server)
      .post('/webhooks/late')
      .set(delivery.headers)
      .send(delivery.body);
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ ok: false, code: 'ERR_WEBHOOK_BODY_CONSUMED' });
    expect(res.body.message).toContain('express.json()');
    expect(res.body.message).toContain("express.raw({ type: '*/*' })");
    expect(lateLogger.errors.at(-1)).toBe(res.body.message);
    expect((await call(token)).status).toBe(200);
  });

  it('answers 413 above maxBodyBytes (declared length)', async () => {
    const delivery = signedDelivery(STANDARD_SECRET, {
      type: 'token.revoked',
      data: { tokenId: 'x'.repeat(2000) },
    });
    const res = await request(served.server)
      .post('/webhooks/small')
      .set(delivery.headers)
      .send(delivery.body);
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('ERR_WEBHOOK_BODY_TOO_LARGE');
  });

  it('answers 413 above maxBodyBytes for a chunked body without Content-Length', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${served.url}/webhooks/small`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      // The server may close the socket once it has answered; that is the point.
      req.on('error', (error) =>
        (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error),
      );
      for (let i = 0; i < 4; i += 1) req.write(Buffer.alloc(512, 0x20));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('answers 408 when the body does not arrive within readTimeoutMs', async () => {
    const slow = express();
    slow.post('/hook', webhookHandler(authenticator, { receiver: 'standard', readTimeoutMs: 100 }));
    const local = await serve(slow);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${local.url}/hook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': '100' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        // Ten of the hundred announced bytes, then nothing: the handler must give up on its own.
        req.write('{"type":"x');
      });
      expect(status).toBe(408);
    } finally {
      await local.close();
    }
  });

  it('answers 405 to anything but POST', async () => {
    const app = express();
    app.use('/hook', webhookHandler(authenticator, { receiver: 'standard' }));
    const local = await serve(app);
    try {
      const res = await request(local.server).get('/hook');
      expect(res.status).toBe(405);
      expect(res.headers['allow']).toBe('POST');
    } finally {
      await local.close();
    }
  });
});

describe('webhookHandler options', () => {
  it.each([
    [{ receiver: 'nope' }, 'webhookHandler.receiver'],
    [{}, 'webhookHandler.receiver'],
    [{ receiver: 'standard', maxBodyBytes: 0 }, 'webhookHandler.maxBodyBytes'],
    [{ receiver: 'standard', readTimeoutMs: 1.5 }, 'webhookHandler.readTimeoutMs'],
    [{ receiver: 'standard', path: '/x' }, 'webhookHandler.path'],
  ])('refuses %j naming %s', (options, option) => {
    expect(() => webhookHandler(authenticator, options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', details: { option } }),
    );
  });
});
