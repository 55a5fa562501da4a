#!/usr/bin/env node
/**
 * One-shot hook registration for docker/compose.yaml: waits for the emulator, then registers
 * Frontegg's keys → the sidecar's /.portcullis/webhooks/frontegg and Portcullis's `m2m.*` /
 * `token.revoked` / `roles.updated` keys → /.portcullis/webhooks/standard. Same code as the demo.
 *
 * Environment: EMULATOR_URL, EMULATOR_VENDOR_CLIENT_ID, EMULATOR_VENDOR_SECRET, FRONTEGG_HOOK_URL,
 * FRONTEGG_HOOK_SECRET, STANDARD_HOOK_URL, STANDARD_HOOK_SECRET (whsec_...). Exit 0 when both hooks
 * are registered, 1 otherwise, 2 when a variable is missing.
 */
import { registerHooks, vendorToken, waitForHttp } from './lib/emulator-api.mjs';

const NAMES = [
  'EMULATOR_URL',
  'EMULATOR_VENDOR_CLIENT_ID',
  'EMULATOR_VENDOR_SECRET',
  'FRONTEGG_HOOK_URL',
  'FRONTEGG_HOOK_SECRET',
  'STANDARD_HOOK_URL',
  'STANDARD_HOOK_SECRET',
];

const missing = NAMES.filter((name) => !process.env[name]);
if (missing.length > 0) {
  process.stderr.write(`register-hooks: missing ${missing.join(', ')}\n`);
  process.exit(2);
}
const env = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));
const emulator = env.EMULATOR_URL.replace(/\/$/, '');

try {
  await waitForHttp(`${emulator}/.well-known/jwks.json`, { timeoutMs: 60_000 });
  const token = await vendorToken(emulator, {
    clientId: env.EMULATOR_VENDOR_CLIENT_ID,
    secret: env.EMULATOR_VENDOR_SECRET,
  });
  const hooks = await registerHooks(emulator, token, {
    fronteggUrl: env.FRONTEGG_HOOK_URL,
    fronteggSecret: env.FRONTEGG_HOOK_SECRET,
    standardUrl: env.STANDARD_HOOK_URL,
    standardSecret: env.STANDARD_HOOK_SECRET,
  });
  process.stdout.write(
    `register-hooks: registered ${hooks.frontegg._id ?? 'frontegg hook'} → ${env.FRONTEGG_HOOK_URL}\n` +
      `register-hooks: registered ${hooks.standard._id ?? 'standard hook'} → ${env.STANDARD_HOOK_URL}\n`,
  );
} catch (error) {
  process.stderr.write(`register-hooks: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
}
