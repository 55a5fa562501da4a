import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontegg } from '../src/providers/frontegg/provider.js';
import type { FronteggProviderOptions } from '../src/providers/frontegg/options.js';
import type { WebhookReceiver } from '../src/webhook-types.js';
import type { FakeFrontegg } from './frontegg-fixtures.js';
import {
  recordingActions,
  recordingLogger,
  startFakeFrontegg,
  testContext,
} from './frontegg-fixtures.js';

const SECRET = 'hook-secret-current-0123456789abcdef';
const OLD_SECRET = 'hook-secret-previous-0123456789abcdef';

async function signature(
  secret: string,
  claims: { iat?: number; exp?: number } = { iat: Math.floor(Date.now() / 1000) },
  alg = 'HS256',
): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg, typ: 'JWT' });
  if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  return jwt.sign(new TextEncoder().encode(secret));
}

function receiverFor(
  fake: FakeFrontegg,
  cached: Record<string, string[]> = {},
  extra: Partial<FronteggProviderOptions> = {},
  now?: () => number,
) {
  const provider = frontegg({
    baseUrl: fake.url,
    appUrl: fake.url,
    clientId: 'vendor-id',
    apiKey: 'vendor-key',
    webhookSecrets: [SECRET, OLD_SECRET],
    ...extra,
  });
  const actions = recordingActions(cached);
  const logger = recordingLogger();
  const context = testContext(actions, logger, now);
  provider.init?.(context);
  const receivers = provider.createWebhookReceivers?.(actions) ?? {};
  const receiver = receivers['frontegg'] as WebhookReceiver;
  return { provider, receiver, actions, logger, context };
}

const deletedToken = JSON.stringify({
  eventKey: 'frontegg.tenantApiToken.deleted',
  eventContext: { tenantId: 't1' },
  apiToken: { clientId: 'client-a', tenantId: 't1' },
});

describe('frontegg webhook receiver: x-webhook-secret', () => {
  let fake: FakeFrontegg;
  beforeAll(async () => {
    fake = await startFakeFrontegg();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('applies a delivery signed with the current secret, after the action resolved', async () => {
    const { receiver, actions } = receiverFor(fake);
    const answer = await receiver.handle({
      headers: { 'x-webhook-secret': await signature(SECRET) },
      body: deletedToken,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.event).toBe('frontegg.tenantApiToken.deleted');
    expect(actions.calls).toEqual([{ action: 'revoke', selector: { clientId: 'client-a' } }]);
  });

  it('accepts the previous secret while rotating', async () => {
    const { receiver, actions } = receiverFor(fake);
    const answer = await receiver.handle({
      headers: { 'x-webhook-secret': await signature(OLD_SECRET) },
      body: deletedToken,
    });
    expect(answer.status).toBe(200);
    expect(actions.calls).toHaveLength(1);
  });

  it('refuses a wrong secret and a missing header', async () => {
    const { receiver, actions } = receiverFor(fake);
    const wrong = await receiver.handle({
      headers: { 'x-webhook-secret': await signature('someone-else-0123456789abcdef') },
      body: deletedToken,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('ERR_WEBHOOK_SIGNATURE_INVALID');
    const missing = await receiver.handle({ headers: {}, body: deletedToken });
    expect(missing.status).toBe(401);
    expect(missing.body.code).toBe('ERR_WEBHOOK_SIGNATURE_INVALID');
    expect(actions.calls).toEqual([]);
  });

  it('accepts HS256, HS384 and HS512 signatures (Frontegg documents only "jwt.verify")', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const { receiver, actions } = receiverFor(fake);
      const answer = await receiver.handle({
        headers: { 'x-webhook-secret': await signature(SECRET, undefined, alg) },
        body: deletedToken,
      });
      expect(answer.status, alg).toBe(200);
      expect(actions.calls, alg).toHaveLength(1);
    }
  });

  it('refuses alg none and asymmetric signatures, whatever the claims', async () => {
    const { receiver, actions } = receiverFor(fake);
    const iat = Math.floor(Date.now() / 1000);
    const part = (value: unknown): string =>
      Buffer.from(JSON.stringify(value)).toString('base64url');
    const none = `${part({ alg: 'none', typ: 'JWT' })}.${part({ iat })}.`;
    const { privateKey } = await generateKeyPair('RS256');
    const rs256 = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuedAt(iat)
      .sign(privateKey);
    for (const header of [none, rs256]) {
      const answer = await receiver.handle({
        headers: { 'x-webhook-secret': header },
        body: deletedToken,
      });
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('ERR_WEBHOOK_SIGNATURE_INVALID');
    }
    expect(actions.calls).toEqual([]);
  });

  it('refuses a stale iat, an iat in the future and an expired header', async () => {
    const { receiver, actions } = receiverFor(fake);
    const nowSec = Math.floor(Date.now() / 1000);
    for (const claims of [
      { iat: nowSec - 301 - 5 },
      { iat: nowSec + 120 },
      { iat: nowSec - 60, exp: nowSec - 30 },
    ]) {
      const answer = await receiver.handle({
        headers: { 'x-webhook-secret': await signature(SECRET, claims) },
        body: deletedToken,
      });
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('ERR_WEBHOOK_TIMESTAMP_STALE');
    }
    expect(actions.calls).toEqual([]);
  });

  it('honours a configured maxWebhookAgeSec', async () => {
    const { receiver } = receiverFor(fake, {}, { maxWebhookAgeSec: 30 });
    const nowSec = Math.floor(Date.now() / 1000);
    const answer = await receiver.handle({
      headers: { 'x-webhook-secret': await signature(SECRET, { iat: nowSec - 60 }) },
      body: deletedToken,
    });
    expect(answer.status).toBe(401);
  });

  it('accepts a header with neither iat nor exp (Frontegg documents no claims)', async () => {
    const { receiver, actions } = receiverFor(fake);
    const answer = await receiver.handle({
      headers: { 'x-webhook-secret': await signature(SECRET, {}) },
      body: deletedToken,
    });
    expect(answer.status).toBe(200);
    expect(actions.calls).toHaveLength(1);
  });

  it('refuses every delivery when no secret is configured', async () => {
    const { receiver } = receiverFor(fake, {}, { webhookSecrets: [] });
    const answer = await receiver.handle({
      headers: { 'x-webhook-secret': await signature(SECRET) },
      body: deletedToken,
    });
    expect(answer.status).toBe(401);
  });

  it('limits deliveries to the allowed source addresses', async () => {
    const { receiver, actions } = receiverFor(fake, {}, { webhookAllowedSources: ['203.0.113.5'] });
    const headers = { 'x-webhook-secret': await signature(SECRET) };
    const mapped = await receiver.handle({
      headers,
      body: deletedToken,
      remoteAddress: '::ffff:203.0.113.5',
    });
    expect(mapped.status).toBe(200);
    const other = await receiver.handle({
      headers,
      body: deletedToken,
      remoteAddress: '198.51.100.1',
    });
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('ERR_WEBHOOK_SOURCE_FORBIDDEN');
    const unknown = await receiver.handle({ headers, body: deletedToken });
    expect(unknown.status).toBe(403);
    expect(actions.calls).toHaveLength(1);
  });
});

describe('frontegg webhook receiver: event keys', () => {
  let fake: FakeFrontegg;
  beforeAll(async () => {
    fake = await startFakeFrontegg();
  });
  afterAll(async () => {
    await fake.close();
  });

  async function deliver(body: unknown, cached: Record<string, string[]> = {}) {
    const harness = receiverFor(fake, cached);
    const answer = await harness.receiver.handle({
      headers: { 'x-webhook-secret': await signature(SECRET) },
      body: JSON.stringify(body),
    });
    return { answer, ...harness };
  }

  it('refuses Portcullis policy keys, which only the Standard Webhooks receiver may take', async () => {
    for (const type of ['m2m.enabled', 'm2m.disabled', 'm2m.strategy.changed', 'token.revoked']) {
      const { answer, actions } = await deliver({
        type,
        data: { acceptedCredentials: ['access_token'] },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('ERR_WEBHOOK_BODY_INVALID');
      expect(answer.body.message).toContain('Standard Webhooks');
      expect(actions.calls).toEqual([]);
    }
    const asEventKey = await deliver({ eventKey: 'm2m.enabled' });
    expect(asEventKey.answer.status).toBe(400);
  });

  it('maps user and tenant events per docs/design.md §5', async () => {
    const cases: [unknown, unknown[]][] = [
      [
        { eventKey: 'frontegg.user.deleted', user: { id: 'u1' }, eventContext: { tenantId: 't1' } },
        [{ action: 'revoke', selector: { userId: 'u1' } }],
      ],
      [
        {
          eventKey: 'frontegg.user.removedFromTenant',
          user: { id: 'u1', tenantId: 't9' },
          eventContext: { tenantId: 't1', userId: 'u1' },
        },
        [{ action: 'revoke', selector: { userId: 'u1', tenantId: 't1' } }],
      ],
      [
        { eventKey: 'frontegg.user.updated', user: { id: 'u1', isLocked: true } },
        [{ action: 'lockUser', userId: 'u1' }],
      ],
      [
        { eventKey: 'frontegg.user.updated', user: { id: 'u1', isLocked: false } },
        [
          { action: 'invalidate', selector: { userId: 'u1' } },
          { action: 'unlockUser', userId: 'u1' },
        ],
      ],
      [
        { eventKey: 'frontegg.user.updated', user: { id: 'u1', name: 'New name' } },
        [{ action: 'invalidate', selector: { userId: 'u1' } }],
      ],
      [
        { eventKey: 'frontegg.tenant.deleted', tenant: { tenantId: 't1' } },
        [{ action: 'revoke', selector: { tenantId: 't1' } }],
      ],
      [
        {
          eventKey: 'frontegg.userApiToken.deleted',
          eventContext: { tenantId: 't1', userId: 'u1' },
          apiToken: { clientId: 'c-u' },
        },
        [{ action: 'revoke', selector: { clientId: 'c-u' } }],
      ],
      [
        { eventKey: 'frontegg.tenantApiToken.deleted', data: { clientId: 'c-d' } },
        [{ action: 'revoke', selector: { clientId: 'c-d' } }],
      ],
    ];
    fake.users.set('u1', { isLocked: false });
    for (const [body, expected] of cases) {
      const { answer, actions } = await deliver(body);
      expect(answer.status).toBe(200);
      expect(actions.calls).toEqual(expected);
    }
  });

  it('lifts a lock only when Frontegg confirms the user is unlocked (the body is not signed)', async () => {
    const forged = { eventKey: 'frontegg.user.updated', user: { id: 'u-locked', isLocked: false } };
    fake.users.set('u-locked', { isLocked: true });
    const stillLocked = await deliver(forged);
    expect(stillLocked.answer.status).toBe(200);
    expect(stillLocked.actions.calls).toEqual([
      { action: 'invalidate', selector: { userId: 'u-locked' } },
    ]);

    const unknownUser = await deliver({
      eventKey: 'frontegg.user.updated',
      user: { id: 'u-nobody', isLocked: false },
    });
    expect(unknownUser.actions.calls).toEqual([
      { action: 'invalidate', selector: { userId: 'u-nobody' } },
    ]);
    // The tenant-free vendor-only read (users/v1/{id} would need frontegg-tenant-id).
    expect(fake.requests.map((r) => r.path)).toContain(
      '/identity/resources/vendor-only/users/v1/u-nobody',
    );
    expect(fake.requests.map((r) => r.path)).not.toContain('/identity/resources/users/v1/u-nobody');
  });

  it('answers 202 for Frontegg keys that do not concern M2M and for unknown keys', async () => {
    for (const eventKey of [
      'frontegg.user.created',
      'frontegg.tenant.created',
      'acme.thing.happened',
    ]) {
      const { answer, actions } = await deliver({ eventKey, user: { id: 'u1' } });
      expect(answer.status).toBe(202);
      expect(actions.calls).toEqual([]);
    }
  });

  it('answers 400 for a body that is not JSON or names nobody', async () => {
    const { receiver } = receiverFor(fake);
    const notJson = await receiver.handle({
      headers: { 'x-webhook-secret': await signature(SECRET) },
      body: 'not json',
    });
    expect(notJson.status).toBe(400);
    const { answer } = await deliver({ eventKey: 'frontegg.user.deleted', user: {} });
    expect(answer.status).toBe(400);
  });

  it('reconciles with the IdP list when a deletion names no client id', async () => {
    fake.apiTokens.set('t1', ['still-there']);
    const { answer, actions, logger } = await deliver(
      { eventKey: 'frontegg.tenantApiToken.deleted', eventContext: { tenantId: 't1' } },
      { t1: ['still-there', 'gone'] },
    );
    expect(answer.status).toBe(200);
    // Owners unknown to this provider (never verified here) are re-verified, not guessed at.
    expect(actions.calls).toEqual([
      { action: 'invalidate', selector: { clientId: 'still-there' } },
      { action: 'invalidate', selector: { clientId: 'gone' } },
    ]);
    const listCall = fake.requests.find(
      (r) => r.path === '/identity/resources/tenants/api-tokens/v1',
    );
    expect(listCall?.headers['frontegg-tenant-id']).toBe('t1');
    expect(
      logger.lines.some(
        (line) => line.level === 'warn' && line.msg?.includes('named no client id'),
      ),
    ).toBe(true);
  });

  it('watches a tenant after an unnamed deletion until the longest exp seen, past defaultTokenExpiration', async () => {
    const clock = { now: Date.now() };
    const { provider, receiver, context } = receiverFor(
      fake,
      {},
      { deletionWatchTtlMs: 1_000 },
      () => clock.now,
    );
    // A JWT that lives 48 h (a template or the prehook can extend it past the default).
    const token = await fake.sign(
      { sub: 'long-lived', type: 'tenantApiToken', tenantId: 't-long' },
      { expSec: 48 * 3600 },
    );
    const signal = AbortSignal.timeout(5000);
    await provider.verify({ form: 'bearer', token }, { signal });
    // Tombstones must outlive it too: the lifetime is reported as the policy floor.
    expect(context.observed).toContainEqual({ maxTokenLifetimeSec: 48 * 3600 });
    fake.apiTokens.set('t-long', []);
    const answer = await receiver.handle({
      headers: { 'x-webhook-secret': await signature(SECRET) },
      body: JSON.stringify({
        eventKey: 'frontegg.tenantApiToken.deleted',
        eventContext: { tenantId: 't-long' },
      }),
    });
    expect(answer.status).toBe(200);
    // Two hours on: long past deletionWatchTtlMs and defaultTokenExpiration-less settings, before
    // the token's exp. The tenant is still watched and the unlisted token refused.
    clock.now += 2 * 3600 * 1000;
    const refused = await provider.verify({ form: 'bearer', token }, { signal }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((refused as { code?: string } | undefined)?.code).toBe('ERR_TOKEN_REVOKED');
  });

  it('answers 503 when the IdP list cannot be read, so Frontegg retries', async () => {
    const { receiver } = receiverFor(fake, {}, { baseUrl: 'http://127.0.0.1:9' });
    const answer = await receiver.handle({
      headers: { 'x-webhook-secret': await signature(SECRET) },
      body: JSON.stringify({
        eventKey: 'frontegg.tenantApiToken.deleted',
        eventContext: { tenantId: 't1' },
      }),
    });
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('ERR_IDP_UNAVAILABLE');
  });
});
