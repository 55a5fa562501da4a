import diagnostics from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/diagnostics.js';
import type { WebhookEvent } from '../src/diagnostics.js';
import { PortcullisError } from '../src/errors.js';
import type { WebhookReceiver, WebhookRequest } from '../src/webhook-types.js';
import { createMemoryReplayGuard } from '../src/webhooks/replay-guard.js';
import { createStandardWebhookReceiver } from '../src/webhooks/standard-receiver.js';
import {
  signStandardWebhook,
  verifyStandardSignature,
} from '../src/webhooks/standard-signature.js';
import { makeSecret, recordingActions, sign, storeDown } from './webhooks-fixtures.js';

const T0 = 1_790_000_000; // epoch seconds of the injected clock
const secretA = makeSecret(1);
const secretB = makeSecret(2);

let nowMs = T0 * 1000;
let recorder: ReturnType<typeof recordingActions>;
let receiver: WebhookReceiver;
let events: WebhookEvent[];
const onEvent = (message: unknown): void => {
  events.push(message as WebhookEvent);
};

function build(secrets: readonly string[] = [secretA], extra: { maxBodyBytes?: number } = {}) {
  return createStandardWebhookReceiver({
    secrets,
    actions: recorder.actions,
    replay: createMemoryReplayGuard({ ttlMs: 600_000, maxEntries: 1000, now: () => nowMs }),
    now: () => nowMs,
    ...extra,
  });
}

function delivery(
  payload: unknown,
  opts: { id?: string; timestampSec?: number; secret?: string; signature?: string } = {},
): WebhookRequest {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const id = opts.id ?? 'msg_1';
  const timestampSec = opts.timestampSec ?? T0;
  return {
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(timestampSec),
      'webhook-signature': opts.signature ?? sign(opts.secret ?? secretA, id, timestampSec, body),
      'content-type': 'application/json',
    },
    body: Buffer.from(body, 'utf8'),
  };
}

beforeEach(() => {
  nowMs = T0 * 1000;
  recorder = recordingActions();
  receiver = build();
  events = [];
  diagnostics.subscribe(CHANNELS.webhook, onEvent);
});

afterEach(() => {
  diagnostics.unsubscribe(CHANNELS.webhook, onEvent);
});

describe('Standard Webhooks signature', () => {
  it('matches the published Standard Webhooks test vector', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    expect(signStandardWebhook(secret, id, 1614265330, body)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    expect(
      verifyStandardSignature(
        {
          'webhook-id': id,
          'webhook-timestamp': '1614265330',
          'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
        },
        Buffer.from(body),
        [key],
        300,
        1614265330_000,
      ),
    ).toEqual({ id, timestampSec: 1614265330 });
  });

  it('applies a good delivery and answers 200 only after the action resolved', async () => {
    const answer = await receiver.handle(
      delivery({ type: 'token.revoked', data: { tokenId: 't1' } }),
    );
    expect(answer).toEqual({
      status: 200,
      body: { ok: true, message: 'applied', event: 'token.revoked' },
    });
    expect(recorder.calls).toEqual([{ action: 'revoke', args: [{ tokenId: 't1' }] }]);
    expect(events).toEqual([
      { receiver: 'standard', status: 200, outcome: 'applied', eventKey: 'token.revoked' },
    ]);
  });

  it('waits for a slow action before answering', async () => {
    let release!: () => void;
    recorder.actions.revoke = () => new Promise<void>((resolve) => (release = resolve));
    let settled = false;
    const pending = receiver
      .handle(delivery({ type: 'token.revoked', data: { clientId: 'c' } }))
      .then((answer) => {
        settled = true;
        return answer;
      });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    release();
    expect((await pending).status).toBe(200);
  });

  it('refuses a tampered body (401) and applies nothing', async () => {
    const good = delivery({ type: 'm2m.enabled', data: {} });
    const tampered = {
      ...good,
      body: Buffer.from(JSON.stringify({ type: 'm2m.enabled', data: { x: 1 } })),
    };
    const answer = await receiver.handle(tampered);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ ok: false, code: 'ERR_WEBHOOK_SIGNATURE_INVALID' });
    expect(recorder.calls).toEqual([]);
    expect(events[0]).toMatchObject({ status: 401, outcome: 'ERR_WEBHOOK_SIGNATURE_INVALID' });
  });

  it('refuses a tampered id or timestamp: both are signed', async () => {
    const good = delivery({ type: 'm2m.enabled', data: {} }, { id: 'msg_a' });
    const otherId = { ...good, headers: { ...good.headers, 'webhook-id': 'msg_b' } };
    expect((await receiver.handle(otherId)).status).toBe(401);
    const otherTime = {
      ...good,
      headers: { ...good.headers, 'webhook-timestamp': String(T0 + 1) },
    };
    expect((await receiver.handle(otherTime)).body.code).toBe('ERR_WEBHOOK_SIGNATURE_INVALID');
    expect(recorder.calls).toEqual([]);
  });

  it('refuses a signature made with the wrong secret', async () => {
    const answer = await receiver.handle(
      delivery({ type: 'm2m.disabled', data: {} }, { secret: makeSecret(9) }),
    );
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('ERR_WEBHOOK_SIGNATURE_INVALID');
    expect(recorder.calls).toEqual([]);
  });

  it('accepts either secret while rotating', async () => {
    receiver = build([secretA, secretB]);
    expect(
      (
        await receiver.handle(
          delivery({ type: 'm2m.enabled', data: {} }, { id: 'a', secret: secretA }),
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await receiver.handle(
          delivery({ type: 'm2m.enabled', data: {} }, { id: 'b', secret: secretB }),
        )
      ).status,
    ).toBe(200);
    // After rotation completes, the old secret is refused.
    receiver = build([secretB]);
    expect(
      (
        await receiver.handle(
          delivery({ type: 'm2m.enabled', data: {} }, { id: 'c', secret: secretA }),
        )
      ).status,
    ).toBe(401);
    expect(recorder.calls).toHaveLength(2);
  });

  it('accepts a header with several signatures when one matches (sender rotation)', async () => {
    const body = JSON.stringify({ type: 'm2m.enabled', data: {} });
    const signature = [
      sign(makeSecret(7), 'msg_m', T0, body),
      'v1a,bm90LWEtc2lnbmF0dXJl',
      sign(secretA, 'msg_m', T0, body),
    ].join(' ');
    const answer = await receiver.handle(delivery(body, { id: 'msg_m', signature }));
    expect(answer.status).toBe(200);
    expect(recorder.calls).toEqual([
      { action: 'applyPolicyEvent', args: [{ enabled: true }, 'webhook:standard'] },
    ]);
  });

  it('refuses a stale or future timestamp beyond the 5-minute tolerance, with a valid signature', async () => {
    const payload = { type: 'm2m.enabled', data: {} };
    const stale = await receiver.handle(delivery(payload, { id: 'old', timestampSec: T0 - 301 }));
    expect(stale.status).toBe(401);
    expect(stale.body.code).toBe('ERR_WEBHOOK_TIMESTAMP_STALE');
    const future = await receiver.handle(delivery(payload, { id: 'new', timestampSec: T0 + 301 }));
    expect(future.body.code).toBe('ERR_WEBHOOK_TIMESTAMP_STALE');
    expect(recorder.calls).toEqual([]);
    // Exactly at the edge is still inside the window.
    expect(
      (await receiver.handle(delivery(payload, { id: 'edge', timestampSec: T0 - 300 }))).status,
    ).toBe(200);
  });

  it('honours a configured tolerance', async () => {
    receiver = createStandardWebhookReceiver({
      secrets: [secretA],
      toleranceSec: 10,
      actions: recorder.actions,
      replay: createMemoryReplayGuard({ ttlMs: 60_000, maxEntries: 10, now: () => nowMs }),
      now: () => nowMs,
    });
    const answer = await receiver.handle(
      delivery({ type: 'm2m.enabled', data: {} }, { timestampSec: T0 - 11 }),
    );
    expect(answer.body.code).toBe('ERR_WEBHOOK_TIMESTAMP_STALE');
  });

  it.each([
    ['missing webhook-id', { 'webhook-id': undefined }],
    ['non-numeric timestamp', { 'webhook-timestamp': '17e8' }],
    ['garbage signature', { 'webhook-signature': 'v1,!!!' }],
    ['empty signature', { 'webhook-signature': '' }],
    ['repeated signature header', { 'webhook-signature': ['v1,a', 'v1,b'] }],
  ])('refuses %s with 401', async (_name, override) => {
    const good = delivery({ type: 'm2m.enabled', data: {} });
    const answer = await receiver.handle({ ...good, headers: { ...good.headers, ...override } });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('ERR_WEBHOOK_SIGNATURE_INVALID');
  });

  it('reads headers from a Fetch Headers object', async () => {
    const good = delivery({ type: 'm2m.disabled', data: {} });
    const headers = new Headers(good.headers as Record<string, string>);
    expect((await receiver.handle({ headers, body: good.body })).status).toBe(200);
  });

  it('refuses every delivery when no secret is configured', async () => {
    receiver = build([]);
    expect((await receiver.handle(delivery({ type: 'm2m.enabled', data: {} }))).status).toBe(401);
  });
});

describe('Standard Webhooks answers', () => {
  it('answers a replayed id 200 {replayed:true} without re-applying', async () => {
    const request = delivery({ type: 'token.revoked', data: { userId: 'u1' } }, { id: 'msg_r' });
    expect((await receiver.handle(request)).status).toBe(200);
    const replayed = await receiver.handle(request);
    expect(replayed).toEqual({
      status: 200,
      body: { ok: true, message: 'already applied', replayed: true, event: 'token.revoked' },
    });
    expect(recorder.calls).toHaveLength(1);
    expect(events.map((event) => event.outcome)).toEqual(['applied', 'replayed']);
  });

  it('answers concurrent duplicates once: the second sees the first as a replay', async () => {
    const request = delivery({ type: 'token.revoked', data: { userId: 'u1' } }, { id: 'msg_c' });
    const answers = await Promise.all([receiver.handle(request), receiver.handle(request)]);
    expect(answers.map((answer) => answer.body.replayed ?? false).sort()).toEqual([false, true]);
    expect(recorder.calls).toHaveLength(1);
  });

  it('refuses a body over the bound with 413 before checking the signature', async () => {
    receiver = build([secretA], { maxBodyBytes: 64 });
    const big = { type: 'token.revoked', data: { tokenId: 'x'.repeat(100) } };
    const answer = await receiver.handle(delivery(big, { signature: 'v1,not-even-checked' }));
    expect(answer.status).toBe(413);
    expect(answer.body.code).toBe('ERR_WEBHOOK_BODY_TOO_LARGE');
    // The same body as a string is measured in bytes.
    const multiByte = await receiver.handle({ ...delivery('"é"'), body: `"${'é'.repeat(40)}"` });
    expect(multiByte.status).toBe(413);
    expect(recorder.calls).toEqual([]);
  });

  it.each([
    ['not JSON', '{"type": '],
    ['a JSON array', '[]'],
    ['no type', { data: {} }],
    ['a non-string timestamp', { type: 'm2m.enabled', timestamp: 5, data: {} }],
    ['no data for a known key', { type: 'm2m.enabled' }],
    ['data as an array', { type: 'm2m.disabled', data: [] }],
    ['token.revoked without a selector field', { type: 'token.revoked', data: { reason: 'x' } }],
    ['token.revoked with a numeric id', { type: 'token.revoked', data: { tokenId: 5 } }],
    ['token.revoked with an empty id', { type: 'token.revoked', data: { clientId: '' } }],
    ['strategy without kinds', { type: 'm2m.strategy.changed', data: { acceptedCredentials: [] } }],
    [
      'strategy with an unknown kind',
      { type: 'm2m.strategy.changed', data: { acceptedCredentials: ['password'] } },
    ],
    ['roles.updated with a numeric tenant', { type: 'roles.updated', data: { tenantId: 1 } }],
  ])('answers 400 for %s and applies nothing', async (_name, payload) => {
    const answer = await receiver.handle(delivery(payload));
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('ERR_WEBHOOK_BODY_INVALID');
    expect(recorder.calls).toEqual([]);
  });

  it('refuses invalid UTF-8 as 400', async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]);
    const id = 'msg_u';
    const key = Buffer.from(secretA.slice(6), 'base64');
    const { createHmac } = await import('node:crypto');
    const signature = `v1,${createHmac('sha256', key).update(`${id}.${T0}.`).update(bytes).digest('base64')}`;
    const answer = await receiver.handle({
      headers: {
        'webhook-id': id,
        'webhook-timestamp': String(T0),
        'webhook-signature': signature,
      },
      body: bytes,
    });
    expect(answer.status).toBe(400);
  });

  it('answers 202 for an unknown event key and applies nothing', async () => {
    const answer = await receiver.handle(
      delivery({ type: 'invoice.paid', data: { anything: true } }),
    );
    expect(answer).toEqual({
      status: 202,
      body: { ok: true, message: 'event key not handled', event: 'invoice.paid' },
    });
    expect(recorder.calls).toEqual([]);
    expect(events).toEqual([
      { receiver: 'standard', status: 202, outcome: 'ignored', eventKey: 'invoice.paid' },
    ]);
  });

  it('maps every event key to its action (extra data fields ignored)', async () => {
    const cases: Array<[unknown, { action: string; args: unknown[] }]> = [
      [
        { type: 'm2m.disabled', data: { note: 'x' } },
        { action: 'applyPolicyEvent', args: [{ enabled: false }, 'webhook:standard'] },
      ],
      [
        { type: 'm2m.enabled', timestamp: '2026-11-29T10:00:00Z', data: {} },
        { action: 'applyPolicyEvent', args: [{ enabled: true }, 'webhook:standard'] },
      ],
      [
        {
          type: 'm2m.strategy.changed',
          data: { acceptedCredentials: ['access_token', 'access_token'] },
        },
        {
          action: 'applyPolicyEvent',
          args: [{ acceptedCredentials: ['access_token'] }, 'webhook:standard'],
        },
      ],
      [
        { type: 'token.revoked', data: { userId: 'u', tenantId: 't', extra: 1 } },
        { action: 'revoke', args: [{ userId: 'u', tenantId: 't' }] },
      ],
      [
        { type: 'roles.updated', data: { tenantId: 't' } },
        { action: 'invalidate', args: [{ tenantId: 't' }] },
      ],
      [
        { type: 'roles.updated', data: {} },
        { action: 'invalidate', args: [{ all: true }] },
      ],
    ];
    for (const [index, [payload, expected]] of cases.entries()) {
      const answer = await receiver.handle(delivery(payload, { id: `msg_${index}` }));
      expect(answer.status).toBe(200);
      expect(recorder.calls.at(-1)).toEqual(expected);
    }
    expect(recorder.calls).toHaveLength(cases.length);
  });

  it('answers 503 when the store failed, does not remember the id, and applies the retry again', async () => {
    recorder.failNext(1, storeDown);
    const request = delivery({ type: 'token.revoked', data: { clientId: 'c1' } }, { id: 'msg_s' });
    const first = await receiver.handle(request);
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ ok: false, code: 'ERR_STORE_UNAVAILABLE' });
    const retry = await receiver.handle(request);
    expect(retry.status).toBe(200);
    expect(retry.body.replayed).toBeUndefined();
    expect(recorder.calls).toEqual([
      { action: 'revoke', args: [{ clientId: 'c1' }] },
      { action: 'revoke', args: [{ clientId: 'c1' }] },
    ]);
    expect((await receiver.handle(request)).body.replayed).toBe(true);
    expect(events.map((event) => event.outcome)).toEqual([
      'ERR_STORE_UNAVAILABLE',
      'applied',
      'replayed',
    ]);
  });

  it('answers 500 for any other action failure, leaks nothing, and lets the retry apply', async () => {
    recorder.failNext(1, () => new Error('db password is hunter2'));
    const request = delivery({ type: 'm2m.disabled', data: {} }, { id: 'msg_f' });
    const failed = await receiver.handle(request);
    expect(failed).toEqual({
      status: 500,
      body: {
        ok: false,
        code: 'ERR_INTERNAL',
        message: 'the event could not be applied',
        event: 'm2m.disabled',
      },
    });
    expect((await receiver.handle(request)).status).toBe(200);
    expect(recorder.calls).toHaveLength(2);
  });

  it('answers 503 when the replay guard cannot be read', async () => {
    receiver = createStandardWebhookReceiver({
      secrets: [secretA],
      actions: recorder.actions,
      replay: {
        seen: () => Promise.reject(new Error('connection refused')),
        remember: () => Promise.resolve(),
      },
      now: () => nowMs,
    });
    const answer = await receiver.handle(delivery({ type: 'm2m.enabled', data: {} }));
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('ERR_STORE_UNAVAILABLE');
    // Enabling widens access: a possible replay must not be applied.
    expect(recorder.calls).toEqual([]);
  });

  it('still applies a revocation locally when the replay guard cannot be read, then answers 503', async () => {
    receiver = createStandardWebhookReceiver({
      secrets: [secretA],
      actions: recorder.actions,
      replay: {
        seen: () => Promise.reject(new Error('connection refused')),
        remember: () => Promise.resolve(),
      },
      now: () => nowMs,
    });
    const revoked = await receiver.handle(
      delivery({ type: 'token.revoked', data: { tokenId: 'tok-1' } }),
    );
    expect(revoked.status).toBe(503);
    expect(revoked.body.code).toBe('ERR_STORE_UNAVAILABLE');
    const disabled = await receiver.handle(delivery({ type: 'm2m.disabled', data: {} }));
    expect(disabled.status).toBe(503);
    expect(recorder.calls).toHaveLength(2);
    expect(JSON.stringify(recorder.calls)).toContain('tok-1');
  });
});

describe('createStandardWebhookReceiver options', () => {
  const base = () => ({
    secrets: [secretA],
    actions: recordingActions().actions,
    replay: createMemoryReplayGuard({ ttlMs: 1000, maxEntries: 1 }),
  });

  it.each([
    [{ secrets: ['not-whsec'] }, 'webhooks.standardSecrets[0]'],
    [{ secrets: [secretA, 'whsec_!!!'] }, 'webhooks.standardSecrets[1]'],
    [{ secrets: [makeSecret(3, 8)] }, 'webhooks.standardSecrets[0]'],
    [{ toleranceSec: 0 }, 'webhooks.toleranceSec'],
    [{ toleranceSec: 1.5 }, 'webhooks.toleranceSec'],
    [{ maxBodyBytes: -1 }, 'webhooks.maxBodyBytes'],
    [{ actions: {} }, 'webhooks.actions'],
    [{ replay: {} }, 'webhooks.replay'],
  ])('refuses %j naming %s, without echoing a secret', (override, path) => {
    try {
      createStandardWebhookReceiver({ ...base(), ...(override as object) });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PortcullisError);
      expect((error as PortcullisError).code).toBe('ERR_INVALID_OPTION');
      expect((error as PortcullisError).message).toContain(path);
      expect((error as PortcullisError).message).not.toContain(secretA.slice(6));
    }
  });
});
