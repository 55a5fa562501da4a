/**
 * The frontegg preset inside a real authenticator, against the running emulator: every M2M token
 * type and credential form, deletions delivered as Frontegg webhooks, the M2M switch and the
 * strategy switch.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { CHANNELS, createAuthenticator, frontegg, isPortcullisError } from '@portcullis/core';
import type { Authenticator, DecisionEvent, Principal, RequestLike } from '@portcullis/core';
import { startEmulator } from '@portcullis/emulator';
import type { RunningEmulator } from '@portcullis/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HOOK_SECRET = `hook-${randomUUID()}`;
const CACHE_TTL_MS = 1_000;

let emu: RunningEmulator;
let vendorToken: string;
let sink: Server;
let authenticator: Authenticator;
/** Shifts the authenticator's clock (not the emulator's), to step past cache TTLs. */
let clockOffsetMs = 0;
let tenantId: string;

async function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${emu.url}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(vendorToken === undefined ? {} : { 'x-access-token': vendorToken }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function expectStatus<T>(
  answer: Promise<{ status: number; body: T }>,
  status: number,
): Promise<T> {
  const { status: got, body } = await answer;
  expect(got, JSON.stringify(body)).toBe(status);
  return body;
}

/** Waits until every queued webhook delivery has been answered by our sink. */
async function flushWebhooks(): Promise<void> {
  await expectStatus(call('POST', '/_emulator/webhooks/flush'), 200);
}

async function configure(settings: Record<string, unknown>): Promise<void> {
  await expectStatus(
    call('POST', '/identity/resources/configurations/v1', { body: settings }),
    201,
  );
  await authenticator.policy.refresh();
}

async function createUser(): Promise<string> {
  const user = await expectStatus(
    call('POST', '/identity/resources/users/v2', {
      headers: { 'frontegg-tenant-id': tenantId },
      body: { email: `${randomUUID()}@example.com`, password: 'pw-0123456789' },
    }),
    201,
  );
  return (user as { id: string }).id;
}

async function tenantApiToken(
  createdByUserId?: string,
): Promise<{ clientId: string; secret: string }> {
  return expectStatus(
    call('POST', '/identity/resources/tenants/api-tokens/v1', {
      headers: {
        'frontegg-tenant-id': tenantId,
        ...(createdByUserId === undefined ? {} : { 'frontegg-user-id': createdByUserId }),
      },
      body: { description: 'test' },
    }),
    201,
  ) as Promise<{ clientId: string; secret: string }>;
}

async function userApiToken(userId: string): Promise<{ clientId: string; secret: string }> {
  return expectStatus(
    call('POST', '/identity/resources/users/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': userId },
      body: { description: 'personal' },
    }),
    201,
  ) as Promise<{ clientId: string; secret: string }>;
}

async function exchange(credentials: { clientId: string; secret: string }): Promise<string> {
  const answer = await expectStatus(
    call('POST', '/identity/resources/auth/v2/api-token', { body: credentials }),
    200,
  );
  return (answer as { access_token: string }).access_token;
}

const basic = (c: { clientId: string; secret: string }): RequestLike => ({
  headers: {
    authorization: `Basic ${Buffer.from(`${c.clientId}:${c.secret}`).toString('base64')}`,
  },
});
const bearer = (token: string): RequestLike => ({ headers: { authorization: `Bearer ${token}` } });
const apiKey = (token: string): RequestLike => ({ headers: { 'x-api-key': token } });

async function refusal(
  request: RequestLike,
): Promise<{ code: string; message: string; status: number }> {
  const error = await authenticator.authenticate(request).then(
    (principal: Principal) => principal,
    (caught: unknown) => caught,
  );
  if (!isPortcullisError(error))
    throw new Error(`expected a refusal, got ${JSON.stringify(error)}`);
  return { code: error.code, message: error.message, status: error.status };
}

beforeAll(async () => {
  emu = await startEmulator({
    logger: () => {},
    webhooks: { retryBaseDelayMs: 20, maxAttempts: 3 },
  });
  const auth = await fetch(`${emu.url}/auth/vendor`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: emu.vendor.clientId, secret: emu.vendor.secret }),
  });
  vendorToken = ((await auth.json()) as { token: string }).token;

  authenticator = createAuthenticator({
    provider: frontegg({
      baseUrl: emu.url,
      clientId: emu.vendor.clientId,
      apiKey: emu.vendor.secret,
      appUrl: emu.appUrl,
      webhookSecrets: [HOOK_SECRET],
    }),
    cache: { ttlMs: CACHE_TTL_MS },
    policy: { syncIntervalMs: 3_600_000 },
    now: () => Date.now() + clockOffsetMs,
  });
  await authenticator.ready();

  // The vendor's webhook endpoint: hands the raw delivery to the authenticator's receiver.
  sink = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void authenticator.webhooks['frontegg']!.handle({
        headers: req.headers,
        body: Buffer.concat(chunks),
        remoteAddress: req.socket.remoteAddress,
      }).then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  await expectStatus(
    call('POST', '/webhook/custom', {
      body: {
        displayName: 'portcullis',
        url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/webhooks/frontegg`,
        secret: HOOK_SECRET,
        eventKeys: [
          'frontegg.tenantApiToken.deleted',
          'frontegg.userApiToken.deleted',
          'frontegg.user.deleted',
          'frontegg.user.removedFromTenant',
          'frontegg.user.updated',
          'frontegg.tenant.deleted',
        ],
        isActive: true,
      },
    }),
    201,
  );
  tenantId = `t-${randomUUID()}`;
  await expectStatus(
    call('POST', '/tenants/resources/tenants/v1', { body: { tenantId, name: 'Acme' } }),
    201,
  );
});

afterAll(async () => {
  await authenticator?.close();
  await new Promise<void>((resolve) => (sink ? sink.close(() => resolve()) : resolve()));
  await emu?.close();
});

describe('frontegg preset against the emulator', () => {
  it('accepts tenant and user API tokens as Basic and as the exchanged Bearer JWT', async () => {
    const userId = await createUser();
    const tenant = await tenantApiToken(userId);
    const personal = await userApiToken(userId);

    const tenantBasic = await authenticator.authenticate(basic(tenant));
    expect(tenantBasic).toMatchObject({
      clientId: tenant.clientId,
      tenantId,
      ownerKind: 'tenant',
      credential: 'client_credentials',
      createdByUserId: userId,
      issuer: emu.url,
    });
    expect(tenantBasic.userId).toBeUndefined();
    const tenantBearer = await authenticator.authenticate(bearer(await exchange(tenant)));
    expect(tenantBearer).toMatchObject({ clientId: tenant.clientId, ownerKind: 'tenant' });

    const personalBasic = await authenticator.authenticate(basic(personal));
    expect(personalBasic).toMatchObject({
      clientId: personal.clientId,
      userId,
      ownerKind: 'user',
      credential: 'client_credentials',
    });
    const personalBearer = await authenticator.authenticate(bearer(await exchange(personal)));
    expect(personalBearer).toMatchObject({ clientId: personal.clientId, userId });

    const wrong = await refusal(basic({ clientId: tenant.clientId, secret: randomUUID() }));
    expect(wrong.code).toBe('ERR_CLIENT_CREDENTIALS_INVALID');
  });

  it('accepts access tokens (Bearer and X-API-Key) and API tokens under either strategy, and refuses nothing while M2M is on', async () => {
    const userId = await createUser();
    const clientCredentials = await tenantApiToken();
    const clientJwt = await exchange(clientCredentials);
    await configure({ machineToMachineAuthStrategy: 'AccessToken' });
    // The same settings read with enforceStrategy: the strategy names the one kind accepted.
    const enforcing = createAuthenticator({
      provider: frontegg({
        baseUrl: emu.url,
        appUrl: emu.appUrl,
        clientId: emu.vendor.clientId,
        apiKey: emu.vendor.secret,
        enforceStrategy: true,
      }),
      policy: { syncIntervalMs: 3_600_000 },
    });
    try {
      await enforcing.ready();
      const tenantToken = await expectStatus(
        call('POST', '/identity/resources/tenants/access-tokens/v1', {
          headers: { 'frontegg-tenant-id': tenantId },
          body: { description: 'tenant access token' },
        }),
        201,
      );
      const userToken = await expectStatus(
        call('POST', '/identity/resources/users/access-tokens/v1', {
          headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': userId },
          body: { description: 'user access token' },
        }),
        201,
      );
      const { id: tenantTokenId, secret: tenantJwt } = tenantToken as {
        id: string;
        secret: string;
      };
      const { id: userTokenId, secret: userJwt } = userToken as { id: string; secret: string };

      expect(await authenticator.authenticate(apiKey(tenantJwt))).toMatchObject({
        tokenId: tenantTokenId,
        tenantId,
        ownerKind: 'tenant',
        credential: 'access_token',
      });
      expect(await authenticator.authenticate(bearer(tenantJwt))).toMatchObject({
        tokenId: tenantTokenId,
      });
      expect(await authenticator.authenticate(apiKey(userJwt))).toMatchObject({
        tokenId: userTokenId,
        userId,
        ownerKind: 'user',
        credential: 'access_token',
      });

      // Default: the strategy decides what can be created; existing API tokens still verify.
      expect(await authenticator.authenticate(basic(clientCredentials))).toMatchObject({
        clientId: clientCredentials.clientId,
      });
      expect(await authenticator.authenticate(bearer(clientJwt))).toMatchObject({
        clientId: clientCredentials.clientId,
      });

      // enforceStrategy: the other kind is refused clearly, Basic and the exchanged Bearer JWT.
      expect(await enforcing.authenticate(apiKey(tenantJwt))).toMatchObject({
        tokenId: tenantTokenId,
      });
      for (const request of [basic(clientCredentials), bearer(clientJwt)]) {
        const refused = await enforcing.authenticate(request).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isPortcullisError(refused) && refused.code).toBe('ERR_CREDENTIAL_KIND_NOT_ACCEPTED');
        expect((refused as Error).message).toMatch(/client[ _]credentials/i);
      }

      // A deleted access token is inactive on the next verification (not a 503).
      await expectStatus(
        call('DELETE', `/identity/resources/tenants/access-tokens/v1/${tenantTokenId}`, {
          headers: { 'frontegg-tenant-id': tenantId },
        }),
        200,
      );
      clockOffsetMs += CACHE_TTL_MS + 1;
      const inactive = await refusal(apiKey(tenantJwt));
      expect(inactive.code).toBe('ERR_TOKEN_INACTIVE');
      expect(inactive.status).toBe(401);

      // Disabling M2M still refuses both kinds; re-enabling makes the same tokens valid again.
      await configure({ apiTokensEnabled: false });
      expect((await refusal(apiKey(userJwt))).code).toBe('ERR_M2M_DISABLED');
      expect((await refusal(basic(clientCredentials))).code).toBe('ERR_M2M_DISABLED');
      await configure({ apiTokensEnabled: true });
      expect(await authenticator.authenticate(apiKey(userJwt))).toMatchObject({
        tokenId: userTokenId,
      });
      expect(await authenticator.authenticate(basic(clientCredentials))).toMatchObject({
        clientId: clientCredentials.clientId,
      });
    } finally {
      await enforcing.close();
      await configure({
        apiTokensEnabled: true,
        machineToMachineAuthStrategy: 'ClientCredentials',
      });
    }
    const back = await authenticator.authenticate(basic(clientCredentials));
    expect(back.clientId).toBe(clientCredentials.clientId);
  });

  it('rejects a deleted API token on the next request (Basic and the earlier Bearer JWT), also after the cache TTL', async () => {
    const token = await tenantApiToken();
    const jwt = await exchange(token);
    await authenticator.authenticate(basic(token));
    await authenticator.authenticate(bearer(jwt));

    await expectStatus(
      call('DELETE', `/identity/resources/tenants/api-tokens/v1/${token.clientId}`, {
        headers: { 'frontegg-tenant-id': tenantId },
      }),
      200,
    );
    await flushWebhooks();
    // No TTL has passed, and both are refused. (The revocation also drops the cached answers, so
    // Basic may be re-verified, and the IdP then refuses the deleted pair itself.)
    expect(['ERR_TOKEN_REVOKED', 'ERR_CLIENT_CREDENTIALS_INVALID']).toContain(
      (await refusal(basic(token))).code,
    );
    expect((await refusal(bearer(jwt))).code).toBe('ERR_TOKEN_REVOKED');

    clockOffsetMs += CACHE_TTL_MS + 1;
    // The JWT still verifies offline; the tombstone holds.
    expect((await refusal(bearer(jwt))).code).toBe('ERR_TOKEN_REVOKED');
    expect((await refusal(basic(token))).status).toBe(401);
  });

  it('rejects a deleted user’s personal tokens and keeps the tenant tokens they created', async () => {
    const userId = await createUser();
    const personal = await userApiToken(userId);
    const created = await tenantApiToken(userId);
    const personalJwt = await exchange(personal);
    const createdJwt = await exchange(created);
    await authenticator.authenticate(bearer(personalJwt));
    await authenticator.authenticate(bearer(createdJwt));

    await expectStatus(call('DELETE', `/identity/resources/users/v1/${userId}`), 200);
    await flushWebhooks();

    expect((await refusal(bearer(personalJwt))).code).toBe('ERR_TOKEN_REVOKED');
    expect(await authenticator.authenticate(bearer(createdJwt))).toMatchObject({
      clientId: created.clientId,
      createdByUserId: userId,
    });
    expect(await authenticator.authenticate(basic(created))).toMatchObject({
      clientId: created.clientId,
    });
  });

  it('locks and unlocks a user’s personal tokens on frontegg.user.updated', async () => {
    const userId = await createUser();
    const personal = await userApiToken(userId);
    const jwt = await exchange(personal);
    await authenticator.authenticate(bearer(jwt));
    await expectStatus(
      call('PUT', `/identity/resources/users/v1/${userId}`, { body: { isLocked: true } }),
      200,
    );
    await flushWebhooks();
    expect((await refusal(bearer(jwt))).code).toBe('ERR_TOKEN_REVOKED');
    await expectStatus(
      call('PUT', `/identity/resources/users/v1/${userId}`, { body: { isLocked: false } }),
      200,
    );
    await flushWebhooks();
    expect(await authenticator.authenticate(bearer(jwt))).toMatchObject({ userId });
  });

  it('locks and unlocks with POST users/v1/{id}/lock|unlock, confirming at the tenant-free vendor-only read', async () => {
    const userId = await createUser();
    const personal = await userApiToken(userId);
    const jwt = await exchange(personal);
    await authenticator.authenticate(bearer(jwt));
    await expectStatus(call('POST', `/identity/resources/users/v1/${userId}/lock`), 200);
    await flushWebhooks();
    expect((await refusal(bearer(jwt))).code).toBe('ERR_TOKEN_REVOKED');
    // The strict emulator answers 400 to users/v1/{id} without frontegg-tenant-id: the unlock
    // holds only because the preset confirms at vendor-only/users/v1/{id}.
    const tenantScoped = await call('GET', `/identity/resources/users/v1/${userId}`);
    expect(tenantScoped.status).toBe(400);
    await expectStatus(call('POST', `/identity/resources/users/v1/${userId}/unlock`), 200);
    await flushWebhooks();
    expect(await authenticator.authenticate(bearer(jwt))).toMatchObject({ userId });
  });

  it('reads roles and permissions from the vendor API when the environment leaves them out of JWTs, and says so', async () => {
    const key = `orders:read:${randomUUID()}`;
    const [permission] = (await expectStatus(
      call('POST', '/identity/resources/permissions/v1', { body: [{ key }] }),
      201,
    )) as { id: string }[];
    const role = (await expectStatus(
      call('POST', '/identity/resources/roles/v1', { body: { key: `reader-${randomUUID()}` } }),
      201,
    )) as { id: string; key: string };
    await expectStatus(
      call('PUT', `/identity/resources/roles/v1/${role.id}/permissions`, {
        body: { permissionIds: [permission!.id] },
      }),
      200,
    );
    const withRole = (await expectStatus(
      call('POST', '/identity/resources/tenants/api-tokens/v1', {
        headers: { 'frontegg-tenant-id': tenantId },
        body: { roleIds: [role.id] },
      }),
      201,
    )) as { clientId: string; secret: string };
    const decisions: DecisionEvent[] = [];
    const listener = (event: unknown): void => void decisions.push(event as DecisionEvent);
    subscribe(CHANNELS.decision, listener);
    await configure({ addRolesToJwt: false, addPermissionsToJwt: false });
    try {
      const jwt = await exchange(withRole);
      const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
      expect(claims.roles).toBeUndefined();
      expect(claims.permissions).toBeUndefined();
      for (const request of [bearer(jwt), basic(withRole)]) {
        expect(await authenticator.authenticate(request)).toMatchObject({
          clientId: withRole.clientId,
          roles: [role.key],
          permissions: [key],
          grantsSource: 'idp',
        });
      }
      expect(decisions.at(-1)).toMatchObject({ outcome: 'allow', grantsSource: 'idp' });

      // A personal token created without grants holds its user's roles in its tenant.
      const member = (await expectStatus(
        call('POST', '/identity/resources/users/v2', {
          headers: { 'frontegg-tenant-id': tenantId },
          body: { email: `${randomUUID()}@example.com`, roleIds: [role.id] },
        }),
        201,
      )) as { id: string };
      const personal = await userApiToken(member.id);
      expect(await authenticator.authenticate(bearer(await exchange(personal)))).toMatchObject({
        userId: member.id,
        roles: [role.key],
        permissions: [key],
        grantsSource: 'idp',
      });
    } finally {
      unsubscribe(CHANNELS.decision, listener);
      await configure({ addRolesToJwt: true, addPermissionsToJwt: true });
    }
    const inClaims = await authenticator.authenticate(bearer(await exchange(withRole)));
    expect(inClaims).toMatchObject({
      roles: [role.key],
      permissions: [key],
      grantsSource: 'token',
    });
  });

  it('keeps a revocation for as long as the token lives, even past defaultTokenExpiration', async () => {
    // A token issued under a 2-hour lifetime, then the environment's default lowered to 1 hour:
    // as a JWT template or the prehook would make it, this token outlives defaultTokenExpiration.
    await configure({ defaultTokenExpiration: 7200 });
    const token = await tenantApiToken();
    const jwt = await exchange(token);
    await configure({ defaultTokenExpiration: 3600 });
    let offsetMs = 0;
    const shortFloor = createAuthenticator({
      provider: frontegg({
        baseUrl: emu.url,
        appUrl: emu.appUrl,
        clientId: emu.vendor.clientId,
        apiKey: emu.vendor.secret,
      }),
      // The tombstone floor is what the IdP reports (1 h), not this minute.
      revocation: { ttlMs: 60_000 },
      cache: { ttlMs: CACHE_TTL_MS },
      policy: { syncIntervalMs: 3_600_000 },
      now: () => Date.now() + offsetMs,
    });
    try {
      await shortFloor.ready();
      // Verified offline although it lives longer than defaultTokenExpiration.
      expect(await shortFloor.authenticate(bearer(jwt))).toMatchObject({
        clientId: token.clientId,
      });
      await shortFloor.revoke({ clientId: token.clientId });
      // Past the 1-hour floor, before the token's own exp: the revocation still holds.
      offsetMs = 90 * 60_000;
      expect(
        await shortFloor.authenticate(bearer(jwt)).then(
          () => 'accepted',
          (error: unknown) => (isPortcullisError(error) ? error.code : String(error)),
        ),
      ).toBe('ERR_TOKEN_REVOKED');
    } finally {
      await shortFloor.close();
      await configure({ defaultTokenExpiration: 86_400 });
    }
  });

  it('rejects every token of a deleted tenant', async () => {
    const otherTenant = `t-${randomUUID()}`;
    await expectStatus(
      call('POST', '/tenants/resources/tenants/v1', {
        body: { tenantId: otherTenant, name: 'Gone' },
      }),
      201,
    );
    const token = await expectStatus(
      call('POST', '/identity/resources/tenants/api-tokens/v1', {
        headers: { 'frontegg-tenant-id': otherTenant },
        body: {},
      }),
      201,
    );
    const jwt = await exchange(token as { clientId: string; secret: string });
    await authenticator.authenticate(bearer(jwt));
    await expectStatus(call('DELETE', `/tenants/resources/tenants/v1/${otherTenant}`), 200);
    await flushWebhooks();
    expect((await refusal(bearer(jwt))).code).toBe('ERR_TOKEN_REVOKED');
  });

  it('revokes a user’s tokens in the tenant they were removed from', async () => {
    const userId = await createUser();
    const personal = await userApiToken(userId);
    const jwt = await exchange(personal);
    await authenticator.authenticate(bearer(jwt));
    await expectStatus(
      call('DELETE', `/identity/resources/users/v1/${userId}`, {
        headers: { 'frontegg-tenant-id': tenantId },
      }),
      200,
    );
    await flushWebhooks();
    expect((await refusal(bearer(jwt))).code).toBe('ERR_TOKEN_REVOKED');
  });

  it('verifies tokens signed after a key rotation, before the JWKS cooldown has passed', async () => {
    const token = await tenantApiToken();
    await authenticator.authenticate(bearer(await exchange(token)));
    await expectStatus(call('POST', '/_emulator/keys/rotate', { body: {} }), 200);
    const rotated = await exchange(token);
    expect(await authenticator.authenticate(bearer(rotated))).toMatchObject({
      clientId: token.clientId,
    });
  });

  it('rejects everything while M2M is disabled and accepts the same credentials once re-enabled', async () => {
    const token = await tenantApiToken();
    const jwt = await exchange(token);
    await authenticator.authenticate(basic(token));
    await configure({ apiTokensEnabled: false });
    try {
      for (const request of [basic(token), bearer(jwt)]) {
        const refused = await refusal(request);
        expect(refused.code).toBe('ERR_M2M_DISABLED');
        expect(refused.message).toMatch(/disabled/i);
      }
    } finally {
      await configure({ apiTokensEnabled: true });
    }
    expect(await authenticator.authenticate(basic(token))).toMatchObject({
      clientId: token.clientId,
    });
    expect(await authenticator.authenticate(bearer(jwt))).toMatchObject({
      clientId: token.clientId,
    });
  });

  it('disables at once on the IdP’s 403, before the next settings poll', async () => {
    const token = await tenantApiToken();
    // Switched off at the IdP; the authenticator has not polled since.
    await expectStatus(
      call('POST', '/identity/resources/configurations/v1', { body: { apiTokensEnabled: false } }),
      201,
    );
    try {
      const refused = await refusal(basic(token));
      expect(refused.code).toBe('ERR_M2M_DISABLED');
      expect(authenticator.policy.current().enabled).toBe(false);
    } finally {
      await configure({ apiTokensEnabled: true });
    }
    expect(await authenticator.authenticate(basic(token))).toMatchObject({
      clientId: token.clientId,
    });
  });
});
