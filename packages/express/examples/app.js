// @ts-check
/**
 * Example: an orders API protected by Portcullis, verifying Frontegg M2M credentials.
 *
 * - `POST /webhooks/frontegg`   Frontegg webhooks (token deleted, user locked, ...), raw body.
 * - `POST /webhooks/portcullis` Standard Webhooks with Portcullis's own events (optional).
 * - `GET  /api/whoami`                    any valid M2M credential.
 * - `GET  /api/tenants/:tenantId/orders`  the caller's own tenant + permission `orders:read`.
 * - `POST /api/tenants/:tenantId/orders`  the caller's own tenant + permission `orders:write`.
 *
 * Run it against the local emulator (README "Try it against the emulator" has the same lines):
 *
 *   npx tsc -b packages/core packages/express packages/emulator
 *   node packages/emulator/dist/cli.js --port 4000 --vendor-client-id vendor --vendor-secret vendor-secret
 *   FRONTEGG_BASE_URL=http://127.0.0.1:4000 FRONTEGG_APP_URL=http://127.0.0.1:4000 \
 *   FRONTEGG_CLIENT_ID=vendor FRONTEGG_API_KEY=vendor-secret FRONTEGG_WEBHOOK_SECRET=hook-secret \
 *   node packages/express/examples/app.js        # PORT (default 3000); FRONTEGG_AUDIENCE optional
 *   npm run example:seed                          # tenant, API token, webhook; prints a curl line
 *
 * Against real Frontegg: FRONTEGG_BASE_URL=https://api.frontegg.com (or your region's),
 * FRONTEGG_APP_URL=your environment's app domain; the expected `aud` is FRONTEGG_CLIENT_ID
 * unless FRONTEGG_AUDIENCE names another (e.g. your app ID).
 */
import { pathToFileURL } from 'node:url';
import express from 'express';
import { createAuthenticator, frontegg } from '@portcullis/core';
import {
  m2mAuth,
  m2mErrorHandler,
  requirePermissions,
  requireTenant,
  webhookHandler,
} from '@portcullis/express';

/**
 * Builds the example app around an authenticator (the tests build it against the emulator).
 *
 * @param {import('@portcullis/core').Authenticator} authenticator
 * @returns {import('express').Express}
 */
export function createOrdersApp(authenticator) {
  const app = express();
  app.disable('x-powered-by');

  // 1. Webhook routes come first: signatures cover the raw bytes, so no body parser may run before.
  app.post('/webhooks/frontegg', webhookHandler(authenticator, { receiver: 'frontegg' }));
  app.post('/webhooks/portcullis', webhookHandler(authenticator, { receiver: 'standard' }));

  // 2. Body parsers after the webhook routes.
  app.use(express.json({ limit: '100kb' }));

  app.get('/healthz', (_req, res) => {
    const health = authenticator.health();
    res.status(health.ready ? 200 : 503).json(health);
  });

  // 3. Everything under /api needs a verified M2M credential; guards add the route's rules.
  const api = express.Router();
  api.use(m2mAuth(authenticator, { realm: 'orders' }));

  /** @param {import('express').Request} req */
  const tenantOfRoute = (req) => req.params['tenantId'];

  api.get('/whoami', (req, res) => {
    const auth = req.auth;
    res.json({
      subject: auth?.subject,
      clientId: auth?.clientId,
      tenantId: auth?.tenantId,
      ownerKind: auth?.ownerKind,
      credential: auth?.credential,
      permissions: auth?.permissions,
    });
  });
  api.get(
    '/tenants/:tenantId/orders',
    requireTenant(tenantOfRoute),
    requirePermissions('orders:read'),
    (req, res) => {
      res.json({ tenantId: req.params['tenantId'], orders: [] });
    },
  );
  api.post(
    '/tenants/:tenantId/orders',
    requireTenant(tenantOfRoute),
    requirePermissions('orders:write'),
    (req, res) => {
      res.status(201).json({ tenantId: req.params['tenantId'], order: req.body });
    },
  );
  app.use('/api', api);

  // Renders Portcullis errors handed on with next(err) (e.g. from Passport strategies).
  app.use(m2mErrorHandler({ realm: 'orders' }));
  return app;
}

/** @param {string} name */
function requiredEnv(name) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.error(`example: set ${name} (see the comment at the top of examples/app.js)`);
    process.exit(2);
  }
  return value;
}

/** @param {string} message */
function fail(message) {
  console.error(`example: ${message}`);
  process.exit(1);
}

async function main() {
  const standardSecret = process.env['PORTCULLIS_WEBHOOK_SECRET'];
  const audience = process.env['FRONTEGG_AUDIENCE'];
  const port = Number(process.env['PORT'] ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('PORT must be a port number');
  const authenticator = createAuthenticator({
    provider: frontegg({
      baseUrl: requiredEnv('FRONTEGG_BASE_URL'),
      appUrl: requiredEnv('FRONTEGG_APP_URL'),
      clientId: requiredEnv('FRONTEGG_CLIENT_ID'),
      apiKey: requiredEnv('FRONTEGG_API_KEY'),
      ...(audience ? { audience } : {}),
      webhookSecrets: [requiredEnv('FRONTEGG_WEBHOOK_SECRET')],
    }),
    ...(standardSecret ? { webhooks: { standardSecrets: [standardSecret] } } : {}),
  });
  // Rejects with the cause (refused API key, IdP unreachable) instead of hanging.
  await authenticator.ready().catch((/** @type {unknown} */ error) => {
    fail(`not ready: ${error instanceof Error ? error.message : String(error)}`);
  });
  const server = createOrdersApp(authenticator).listen(port, '127.0.0.1');
  server.once('error', (error) => {
    // EADDRINUSE and friends: say so and exit non-zero instead of claiming to listen.
    void authenticator.close();
    fail(`cannot listen on 127.0.0.1:${port}: ${error.message}`);
  });
  server.once('listening', () => {
    const address = server.address();
    const actual = typeof address === 'object' && address !== null ? address.port : port;
    console.log(`orders example listening on http://127.0.0.1:${actual}`);
  });
  const stop = () => {
    server.close();
    void authenticator.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
