import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/authenticator.js';
import type { Authenticator, AuthenticatorOptions } from '../src/authenticator.js';
import type { AuthenticatorActions } from '../src/provider.js';
import type { WebhookReceiver, WebhookRequest } from '../src/webhook-types.js';
import { signStandardWebhook } from '../src/webhooks/standard-signature.js';
import {
  bearer,
  Clock,
  codeOf,
  eventually,
  makePrincipal,
  MemoryStore,
  TestProvider,
} from './authenticator-fixtures.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const open: Authenticator[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((auth) => auth.close()));
});

function setup(overrides: Partial<AuthenticatorOptions> = {}): {
  auth: Authenticator;
  provider: TestProvider;
  clock: Clock;
} {
  const clock = new Clock();
  const provider = (overrides.provider as TestProvider | undefined) ?? new TestProvider();
  const auth = createAuthenticator({
    now: clock.now,
    webhooks: { standardSecrets: [SECRET] },
    ...overrides,
    provider,
  });
  open.push(auth);
  return { auth, provider, clock };
}

function delivery(clock: Clock, id: string, event: object): WebhookRequest {
  const body = JSON.stringify(event);
  const timestamp = clock.sec;
  return {
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signStandardWebhook(SECRET, id, timestamp, body),
      'content-type': 'application/json',
    },
    body,
  };
}

describe('authenticator webhooks', () => {
  it('a signed token.revoked delivery revokes through this authenticator; a replay is not re-applied', async () => {
    const store = new MemoryStore();
    const { auth, provider, clock } = setup({ store });
    await auth.ready();
    provider.addToken(
      'tok',
      makePrincipal({ clientId: 'c1', tokenId: 'tid-1', issuedAt: clock.sec }),
    );
    await auth.authenticate(bearer('tok'));

    const standard = auth.webhooks.standard as WebhookReceiver;
    const first = await standard.handle(
      delivery(clock, 'msg_1', { type: 'token.revoked', data: { tokenId: 'tid-1' } }),
    );
    expect(first.status).toBe(200);
    expect(await codeOf(auth.authenticate(bearer('tok')))).toBe('ERR_TOKEN_REVOKED');
    // The replay guard is the shared store's, so every replica knows the id.
    expect(store.webhookIds.has('msg_1')).toBe(true);
    expect(store.published.filter((m) => m.type === 'revoke')).toHaveLength(1);

    const replay = await standard.handle(
      delivery(clock, 'msg_1', { type: 'token.revoked', data: { tokenId: 'tid-1' } }),
    );
    expect(replay.status).toBe(200);
    expect(replay.body.replayed).toBe(true);
    expect(store.published.filter((m) => m.type === 'revoke')).toHaveLength(1);
  });

  it('answers 503 when the store fails, after applying the action locally', async () => {
    const store = new MemoryStore();
    const { auth, provider, clock } = setup({ store });
    await auth.ready();
    provider.addToken('tok', makePrincipal({ clientId: 'c1', issuedAt: clock.sec }));
    store.failing = true;
    const answer = await (auth.webhooks.standard as WebhookReceiver).handle(
      delivery(clock, 'msg_2', { type: 'm2m.disabled', data: {} }),
    );
    expect(answer.status).toBe(503);
    expect(await codeOf(auth.authenticate(bearer('tok')))).toBe('ERR_M2M_DISABLED');
  });

  it('includes the provider receivers, built with actions bound to this authenticator', async () => {
    class ReceiverProvider extends TestProvider {
      override readonly name = 'acme';
      actions: AuthenticatorActions | undefined;
      createWebhookReceivers(actions: AuthenticatorActions): Record<string, WebhookReceiver> {
        this.actions = actions;
        return {
          acme: {
            name: 'acme',
            handle: async () => ({ status: 200, body: { ok: true, message: 'ok' } }),
          },
        };
      }
    }
    const provider = new ReceiverProvider();
    const { auth, clock } = setup({ provider });
    expect(Object.keys(auth.webhooks).sort()).toEqual(['acme', 'standard']);
    provider.addToken('tok', makePrincipal({ userId: 'u1', issuedAt: clock.sec }));
    await provider.actions?.lockUser('u1');
    expect(await codeOf(auth.authenticate(bearer('tok')))).toBe('ERR_TOKEN_REVOKED');
    await provider.actions?.unlockUser('u1');
    await eventually(() => auth.tombstones().length === 0);
    await expect(auth.authenticate(bearer('tok'))).resolves.toBeDefined();
  });
});
