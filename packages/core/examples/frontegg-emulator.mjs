// Runnable example: verify Frontegg M2M credentials with @portcullis/core against the local emulator,
// then revoke one and watch the next request fail.
//   npm run build && node packages/core/examples/frontegg-emulator.mjs
import { createAuthenticator, frontegg, isPortcullisError } from '@portcullis/core';
import { startEmulator } from '@portcullis/emulator';

const emulator = await startEmulator({ logger: () => {} }); // random free port on 127.0.0.1
const vendor = await post('/auth/vendor', emulator.vendor);
const asVendor = { authorization: `Bearer ${vendor.token}` };
await post('/tenants/resources/tenants/v1', { tenantId: 'acme', name: 'Acme' }, asVendor);
const apiToken = await post(
  '/identity/resources/tenants/api-tokens/v1',
  { description: 'example' },
  { ...asVendor, 'frontegg-tenant-id': 'acme' },
);

const authenticator = createAuthenticator({
  provider: frontegg({
    baseUrl: emulator.url,
    clientId: emulator.vendor.clientId,
    apiKey: emulator.vendor.secret,
    appUrl: emulator.appUrl,
  }),
});
await authenticator.ready();

const basic = `Basic ${Buffer.from(`${apiToken.clientId}:${apiToken.secret}`).toString('base64')}`;
const request = { headers: { authorization: basic }, url: '/orders' };

const principal = await authenticator.authenticate(request);
console.log(
  'authenticated:',
  principal.subject,
  principal.tenantId,
  principal.ownerKind,
  principal.credential,
);

await authenticator.revoke({ clientId: apiToken.clientId });
try {
  await authenticator.authenticate(request);
  console.log('unexpected: the revoked credential was accepted');
  process.exitCode = 1;
} catch (error) {
  if (!isPortcullisError(error)) throw error;
  console.log('after revoke:', error.status, error.code);
}

await authenticator.close();
await emulator.close();

async function post(path, body, headers = {}) {
  const response = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} → ${response.status}`);
  return response.json();
}
