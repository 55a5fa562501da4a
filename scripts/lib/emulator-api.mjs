/**
 * A small client of the emulator's HTTP API (Frontegg's management routes), shared by the
 * `npm start` demo (scripts/demo.mjs) and the compose stack's hook registration
 * (scripts/register-hooks.mjs), so both register hooks the same way.
 */

/** Frontegg's event keys: delivered to the sidecar's /.portcullis/webhooks/frontegg. */
export const FRONTEGG_EVENT_KEYS = Object.freeze([
  'frontegg.tenantApiToken.deleted',
  'frontegg.userApiToken.deleted',
  'frontegg.user.deleted',
  'frontegg.user.removedFromTenant',
  'frontegg.user.updated',
  'frontegg.tenant.deleted',
]);

/**
 * Portcullis's own event keys (Frontegg has none for these): accepted only on the Standard
 * Webhooks endpoint, /.portcullis/webhooks/standard, since they can widen access.
 */
export const PORTCULLIS_EVENT_KEYS = Object.freeze([
  'm2m.disabled',
  'm2m.enabled',
  'm2m.strategy.changed',
  'token.revoked',
  'roles.updated',
]);

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * One JSON call to the emulator. Resolves with the parsed body of a 2xx answer; anything else
 * rejects with an Error naming the route, the status and the emulator's message.
 * @param {string} baseUrl emulator origin, no trailing slash
 * @param {{ method?: string, path: string, token?: string, tenantId?: string, userId?: string, body?: unknown, timeoutMs?: number }} call
 */
export async function emulatorCall(baseUrl, call) {
  const headers = { accept: 'application/json' };
  if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
  if (call.tenantId !== undefined) headers['frontegg-tenant-id'] = call.tenantId;
  if (call.userId !== undefined) headers['frontegg-user-id'] = call.userId;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const method = call.method ?? 'GET';
  const response = await fetch(`${baseUrl}${call.path}`, {
    method,
    headers,
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
    redirect: 'manual',
    signal: AbortSignal.timeout(call.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  });
  const text = await response.text();
  let body;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (!response.ok) {
    const message = Array.isArray(body?.errors) ? body.errors.join('; ') : text.slice(0, 200);
    throw new Error(`emulator ${method} ${call.path} answered ${response.status}: ${message}`);
  }
  return body;
}

/**
 * The vendor token (`POST /auth/vendor`).
 * @param {string} baseUrl
 * @param {{ clientId: string, secret: string }} vendor
 * @returns {Promise<string>}
 */
export async function vendorToken(baseUrl, vendor) {
  const body = await emulatorCall(baseUrl, {
    method: 'POST',
    path: '/auth/vendor',
    body: { clientId: vendor.clientId, secret: vendor.secret },
  });
  if (typeof body?.token !== 'string') throw new Error('emulator /auth/vendor returned no token');
  return body.token;
}

/**
 * Poll `url` until it answers a status `accept` takes, or fail after `timeoutMs`.
 * @param {string} url
 * @param {{ timeoutMs?: number, accept?: (status: number) => boolean, intervalMs?: number }} [options]
 */
export async function waitForHttp(url, options = {}) {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const accept = options.accept ?? ((status) => status >= 200 && status < 300);
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (accept(response.status)) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
  throw new Error(`${url} not ready in time (${last})`);
}

/**
 * Register the two hooks a Portcullis deployment needs: Frontegg's keys to the Frontegg endpoint
 * (signed `x-webhook-secret` with `fronteggSecret`) and Portcullis's keys to the Standard
 * Webhooks endpoint (signed with the `whsec_` secret). Returns the created hooks.
 * @param {string} baseUrl
 * @param {string} token vendor token
 * @param {{ fronteggUrl: string, fronteggSecret: string, standardUrl: string, standardSecret: string }} hooks
 */
export async function registerHooks(baseUrl, token, hooks) {
  const frontegg = await emulatorCall(baseUrl, {
    method: 'POST',
    path: '/webhook/custom',
    token,
    body: {
      displayName: 'Portcullis (Frontegg events)',
      url: hooks.fronteggUrl,
      secret: hooks.fronteggSecret,
      eventKeys: [...FRONTEGG_EVENT_KEYS],
      isActive: true,
    },
  });
  const standard = await emulatorCall(baseUrl, {
    method: 'POST',
    path: '/webhook/custom',
    token,
    body: {
      displayName: 'Portcullis (policy and revocation events)',
      url: hooks.standardUrl,
      // Frontegg requires a hook secret; the Standard Webhooks signature is what the endpoint checks.
      secret: hooks.fronteggSecret,
      standardWebhooksSecret: hooks.standardSecret,
      eventKeys: [...PORTCULLIS_EVENT_KEYS],
      isActive: true,
    },
  });
  return { frontegg, standard };
}
