import { describe, expect, it } from 'vitest';
import { PortcullisError } from '../src/errors.js';
import type { ErrorCode } from '../src/errors.js';
import type { WebhookRequest } from '../src/webhook-types.js';
import { answerWebhook, createWebhookReceiver } from '../src/webhooks/pipeline.js';
import type { WebhookPlan, WebhookReceiverSpec } from '../src/webhooks/pipeline.js';
import { createMemoryReplayGuard } from '../src/webhooks/replay-guard.js';
import { recordingActions, storeDown } from './webhooks-fixtures.js';

// A provider-style receiver: a shared-secret header, an `event` field, no delivery ids.
function providerSpec(recorder: ReturnType<typeof recordingActions>): WebhookReceiverSpec {
  return {
    name: 'acme',
    maxBodyBytes: 1024,
    actions: recorder.actions,
    verify(request) {
      const header = (request.headers as Record<string, string | undefined>)['x-acme-secret'];
      if (header !== 'open-sesame') {
        throw new PortcullisError('ERR_WEBHOOK_SIGNATURE_INVALID', 'bad secret');
      }
      return {};
    },
    plan(payload): WebhookPlan {
      const event = (payload as { event?: unknown }).event;
      const user = (payload as { user?: unknown }).user;
      if (typeof event !== 'string')
        throw new PortcullisError('ERR_WEBHOOK_BODY_INVALID', 'no event');
      if (event === 'user.deleted' && typeof user === 'string') {
        return {
          eventKey: event,
          actions: [
            { kind: 'revoke', selector: { userId: user } },
            { kind: 'invalidate', selector: { userId: user } },
          ],
        };
      }
      if (event === 'user.locked' && typeof user === 'string') {
        return { eventKey: event, actions: [{ kind: 'lock', userId: user }] };
      }
      if (event === 'user.unlocked' && typeof user === 'string') {
        return { eventKey: event, actions: [{ kind: 'unlock', userId: user }] };
      }
      if (event === 'tenant.sync') {
        return {
          eventKey: event,
          actions: [
            {
              kind: 'custom',
              name: 'sync',
              run: (actions) => actions.revoke({ tenantId: 'from-custom' }),
            },
          ],
        };
      }
      return { eventKey: event, actions: undefined };
    },
  };
}

const request = (body: unknown, secret = 'open-sesame'): WebhookRequest => ({
  headers: { 'x-acme-secret': secret },
  body: JSON.stringify(body),
});

describe('createWebhookReceiver (provider receivers)', () => {
  it('applies every planned action in order, through the authenticator actions', async () => {
    const recorder = recordingActions();
    const receiver = createWebhookReceiver(providerSpec(recorder));
    expect(receiver.name).toBe('acme');
    expect((await receiver.handle(request({ event: 'user.deleted', user: 'u1' }))).status).toBe(
      200,
    );
    expect((await receiver.handle(request({ event: 'user.locked', user: 'u1' }))).status).toBe(200);
    expect((await receiver.handle(request({ event: 'user.unlocked', user: 'u1' }))).status).toBe(
      200,
    );
    expect((await receiver.handle(request({ event: 'tenant.sync' }))).status).toBe(200);
    expect(recorder.calls).toEqual([
      { action: 'revoke', args: [{ userId: 'u1' }] },
      { action: 'invalidate', args: [{ userId: 'u1' }] },
      { action: 'lockUser', args: ['u1'] },
      { action: 'unlockUser', args: ['u1'] },
      { action: 'revoke', args: [{ tenantId: 'from-custom' }] },
    ]);
  });

  it("answers the provider's refusal with its own status and code", async () => {
    const recorder = recordingActions();
    const receiver = createWebhookReceiver(providerSpec(recorder));
    const answer = await receiver.handle(request({ event: 'user.deleted', user: 'u1' }, 'wrong'));
    expect(answer).toEqual({
      status: 401,
      body: { ok: false, code: 'ERR_WEBHOOK_SIGNATURE_INVALID', message: 'bad secret' },
    });
    expect(recorder.calls).toEqual([]);
  });

  it('keeps applying after one action failed, and answers 503 when a failure was the store', async () => {
    const recorder = recordingActions();
    recorder.failNext(1, storeDown);
    const receiver = createWebhookReceiver(providerSpec(recorder));
    const answer = await receiver.handle(request({ event: 'user.deleted', user: 'u2' }));
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('ERR_STORE_UNAVAILABLE');
    // The invalidate after the failed (but locally applied) revoke still ran.
    expect(recorder.calls.map((call) => call.action)).toEqual(['revoke', 'invalidate']);
  });

  it('prefers 503 over 500 when both kinds of failure happen', async () => {
    const recorder = recordingActions();
    let call = 0;
    recorder.failNext(2, () => (++call === 1 ? new Error('bug') : storeDown()));
    const receiver = createWebhookReceiver(providerSpec(recorder));
    expect((await receiver.handle(request({ event: 'user.deleted', user: 'u3' }))).status).toBe(
      503,
    );
  });

  it('answers 500 with the PortcullisError code when an action refuses its input', async () => {
    const recorder = recordingActions();
    recorder.failNext(
      1,
      () => new PortcullisError('ERR_INVALID_OPTION', 'option selector is empty'),
    );
    const receiver = createWebhookReceiver(providerSpec(recorder));
    const answer = await receiver.handle(request({ event: 'user.locked', user: 'u4' }));
    expect(answer.status).toBe(500);
    expect(answer.body.code).toBe('ERR_INVALID_OPTION');
  });

  it('turns a bug in verify or plan into a generic 500', async () => {
    const recorder = recordingActions();
    const spec = providerSpec(recorder);
    const receiver = createWebhookReceiver({
      ...spec,
      plan: () => {
        throw new TypeError('cannot read secret of undefined');
      },
    });
    const answer = await receiver.handle(request({ event: 'x' }));
    expect(answer).toEqual({
      status: 500,
      body: { ok: false, code: 'ERR_INTERNAL', message: 'internal error' },
    });
  });

  it('answerWebhook answers one delivery without a receiver object', async () => {
    const recorder = recordingActions();
    const answer = await answerWebhook(request({ event: 'other' }), providerSpec(recorder));
    expect(answer).toEqual({
      status: 202,
      body: { ok: true, message: 'event key not handled', event: 'other' },
    });
  });

  it('uses the replay guard when verify returns a delivery id', async () => {
    const recorder = recordingActions();
    const spec = providerSpec(recorder);
    const receiver = createWebhookReceiver({
      ...spec,
      replay: createMemoryReplayGuard({ ttlMs: 60_000, maxEntries: 10 }),
      verify: (req: WebhookRequest) => ({
        id: (req.headers as Record<string, string>)['x-delivery'] ?? 'none',
      }),
    });
    const withId = (id: string): WebhookRequest => ({
      headers: { 'x-delivery': id },
      body: JSON.stringify({ event: 'user.locked', user: 'u' }),
    });
    expect((await receiver.handle(withId('d1'))).body.replayed).toBeUndefined();
    expect((await receiver.handle(withId('d1'))).body.replayed).toBe(true);
    expect((await receiver.handle(withId('d2'))).status).toBe(200);
    expect(recorder.calls).toHaveLength(2);
  });

  it.each([
    [{ name: 'Acme!' }, 'webhooks.name'],
    [{ maxBodyBytes: 0 }, 'webhooks.maxBodyBytes'],
    [{ maxBodyBytes: 64 * 1024 * 1024 }, 'webhooks.maxBodyBytes'],
    [{ actions: undefined }, 'webhooks.actions'],
    [{ replay: { seen: 1 } }, 'webhooks.replay'],
    [{ verify: undefined }, 'webhooks'],
  ])('refuses a spec with %j naming %s', (override, path) => {
    const spec = {
      ...providerSpec(recordingActions()),
      ...(override as object),
    } as WebhookReceiverSpec;
    let code: ErrorCode | undefined;
    try {
      createWebhookReceiver(spec);
    } catch (error) {
      code = (error as PortcullisError).code;
      expect((error as PortcullisError).message).toContain(path);
    }
    expect(code).toBe('ERR_INVALID_OPTION');
  });
});
