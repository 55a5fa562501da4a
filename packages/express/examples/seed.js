// @ts-check
/**
 * `npm run example:seed`: gives the example app (examples/app.js) something to accept, through the
 * emulator's Frontegg routes — the calls a vendor makes on Frontegg: the tenant `acme`, the
 * permissions `orders:read` and `orders:write`, a tenant API token holding both, and a webhook
 * (Frontegg's deletion events → the app's `/webhooks/frontegg`). Prints curl lines that work.
 * Safe to run again: what exists is reused; each run creates a new API token.
 *
 * Environment (defaults match the README's "Try it against the emulator"):
 *   FRONTEGG_BASE_URL        http://127.0.0.1:4000
 *   FRONTEGG_CLIENT_ID       vendor
 *   FRONTEGG_API_KEY         vendor-secret
 *   FRONTEGG_WEBHOOK_SECRET  hook-secret
 *   EXAMPLE_URL              http://127.0.0.1:3000
 */
const env = (/** @type {string} */ name, /** @type {string} */ fallback) =>
  process.env[name] || fallback;
const baseUrl = env('FRONTEGG_BASE_URL', 'http://127.0.0.1:4000').replace(/\/+$/, '');
const exampleUrl = env('EXAMPLE_URL', 'http://127.0.0.1:3000').replace(/\/+$/, '');
const TENANT = 'acme';
const PERMISSIONS = ['orders:read', 'orders:write'];
const DELETION_EVENTS = [
  'frontegg.tenantApiToken.deleted',
  'frontegg.userApiToken.deleted',
  'frontegg.user.deleted',
  'frontegg.tenant.deleted',
];

/**
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, token?: string, headers?: Record<string, string>, ok?: number[] }} [options]
 * @returns {Promise<any>}
 */
async function call(method, path, options = {}) {
  /** @type {Response} */
  let response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token === undefined ? {} : { 'x-access-token': options.token }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new Error(
      `cannot reach the emulator at ${baseUrl} (${error instanceof Error ? error.message : error}); start it first`,
    );
  }
  const text = await response.text();
  if (!response.ok && !(options.ok ?? []).includes(response.status)) {
    throw new Error(`${method} ${path} → ${response.status} ${text.slice(0, 300)}`);
  }
  return text === '' ? undefined : JSON.parse(text);
}

async function main() {
  const vendor = await call('POST', '/auth/vendor', {
    body: {
      clientId: env('FRONTEGG_CLIENT_ID', 'vendor'),
      secret: env('FRONTEGG_API_KEY', 'vendor-secret'),
    },
  }).catch((/** @type {Error} */ error) => {
    throw new Error(
      `vendor sign-in refused (check FRONTEGG_CLIENT_ID/FRONTEGG_API_KEY): ${error.message}`,
    );
  });
  const token = /** @type {string} */ (vendor.token);

  await call('POST', '/tenants/resources/tenants/v1', {
    token,
    body: { tenantId: TENANT, name: 'Acme' },
    ok: [409],
  });

  /** @type {Array<{ id: string, key: string }>} */
  const existing = await call('GET', '/identity/resources/permissions/v1', { token });
  const permissionIds = [];
  for (const key of PERMISSIONS) {
    let found = existing.find((permission) => permission.key === key);
    if (found === undefined) {
      const created = await call('POST', '/identity/resources/permissions/v1', {
        token,
        body: { key, name: key },
      });
      found = Array.isArray(created) ? created[0] : created;
    }
    permissionIds.push(/** @type {{ id: string }} */ (found).id);
  }

  const apiToken = await call('POST', '/identity/resources/tenants/api-tokens/v1', {
    token,
    headers: { 'frontegg-tenant-id': TENANT },
    body: { description: 'orders example client', permissionIds },
  });

  const hookUrl = `${exampleUrl}/webhooks/frontegg`;
  /** @type {Array<{ url: string }>} */
  const hooks = await call('GET', '/webhook', { token });
  if (!hooks.some((hook) => hook.url === hookUrl)) {
    await call('POST', '/webhook/custom', {
      token,
      body: {
        displayName: 'orders example',
        url: hookUrl,
        secret: env('FRONTEGG_WEBHOOK_SECRET', 'hook-secret'),
        eventKeys: DELETION_EVENTS,
        isActive: true,
      },
    });
  }

  const credentials = `${apiToken.clientId}:${apiToken.secret}`;
  console.log(`tenant ${TENANT}, API token ${apiToken.clientId} (${PERMISSIONS.join(', ')})`);
  console.log(`webhook → ${hookUrl}`);
  console.log('');
  console.log(`curl -i -u '${credentials}' ${exampleUrl}/api/whoami`);
  console.log(`curl -i -u '${credentials}' ${exampleUrl}/api/tenants/${TENANT}/orders`);
  console.log(
    `curl -i -u '${credentials}' -H 'content-type: application/json' -d '{"item":"book"}' ${exampleUrl}/api/tenants/${TENANT}/orders`,
  );
  console.log(
    `curl -i -u '${credentials}' ${exampleUrl}/api/tenants/other/orders   # 403: not its tenant`,
  );
}

main().catch((error) => {
  console.error(`example:seed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
