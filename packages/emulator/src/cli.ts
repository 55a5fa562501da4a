#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startEmulator } from './emulator.js';
import type { EmulatorOptions } from './emulator.js';
import type { SeedFile } from './seed.js';

const USAGE = `Usage: portcullis-emulator [options]

A local Frontegg-compatible and OAuth 2.0 authority. DEVELOPMENT AND TESTS ONLY.

Options:
  --port <n>               TCP port (default 4000; 0 picks a free port)
  --app-port <n>           serve the app domain (JWKS, API-token exchange, token iss) on this
                           second port, as Frontegg does on its own host; --port then serves
                           the vendor API only (0 picks a free port; default: one origin)
  --host <addr>            bind address (default 127.0.0.1)
  --seed <file>            JSON seed applied when the state is fresh
  --state <file>           JSON state file kept across restarts (holds keys and secrets)
  --vendor-client-id <id>  vendor client id (env PORTCULLIS_EMULATOR_VENDOR_CLIENT_ID)
  --vendor-secret <s>      vendor secret (env PORTCULLIS_EMULATOR_VENDOR_SECRET)
  --app-id <id>            the environment's app ID, used as the "aud" of every token
                           (default: the vendor client ID)
  --webhook-alg <alg>      HS256 (default), HS384 or HS512 for the x-webhook-secret JWT
  --lenient                accept calls without the headers Frontegg requires
                           (frontegg-tenant-id, frontegg-user-id): for old scripts only
  --help                   show this help

The first line on stdout is the base URL (the vendor API).`;

function fail(message: string): never {
  process.stderr.write(`portcullis-emulator: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        seed: { type: 'string' },
        state: { type: 'string' },
        'vendor-client-id': { type: 'string' },
        'vendor-secret': { type: 'string' },
        'app-port': { type: 'string' },
        'app-id': { type: 'string' },
        'webhook-alg': { type: 'string' },
        lenient: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port ?? '4000');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail('--port must be 0-65535');
  const appPort = values['app-port'] === undefined ? undefined : Number(values['app-port']);
  if (appPort !== undefined && (!Number.isInteger(appPort) || appPort < 0 || appPort > 65_535)) {
    fail('--app-port must be 0-65535');
  }
  const webhookAlg = values['webhook-alg'];
  if (webhookAlg !== undefined && !['HS256', 'HS384', 'HS512'].includes(webhookAlg)) {
    fail('--webhook-alg must be HS256, HS384 or HS512');
  }

  let seed: SeedFile | undefined;
  if (values.seed !== undefined) {
    try {
      seed = JSON.parse(readFileSync(values.seed, 'utf8')) as SeedFile;
    } catch (error) {
      fail(`cannot read --seed ${values.seed}: ${(error as Error).message}`);
    }
  }
  const vendorClientId =
    values['vendor-client-id'] ?? process.env['PORTCULLIS_EMULATOR_VENDOR_CLIENT_ID'];
  const vendorSecret = values['vendor-secret'] ?? process.env['PORTCULLIS_EMULATOR_VENDOR_SECRET'];
  const options: EmulatorOptions = {
    port,
    logger: (line) => process.stderr.write(`${line}\n`),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(seed === undefined ? {} : { seed }),
    ...(values.state === undefined ? {} : { statePath: values.state }),
    ...(vendorClientId ? { vendorClientId } : {}),
    ...(vendorSecret ? { vendorSecret } : {}),
    ...(values['app-id'] === undefined ? {} : { appId: values['app-id'] }),
    ...(appPort === undefined ? {} : { appPort }),
    ...(webhookAlg === undefined
      ? {}
      : { webhookAlg: webhookAlg as NonNullable<EmulatorOptions['webhookAlg']> }),
    ...(values.lenient === true ? { lenient: true } : {}),
  };

  const emulator = await startEmulator(options);
  process.stdout.write(
    [
      emulator.url,
      `vendor client id: ${emulator.vendor.clientId}`,
      `vendor secret:    ${emulator.vendor.secret}`,
      `audience (aud):   ${emulator.audience}${emulator.appId === undefined ? ' (the vendor client id)' : ' (the app id)'}`,
      `app url:          ${emulator.appUrl}`,
      `console:          ${emulator.url}/console`,
      '',
      'Try:',
      `  curl -s -X POST ${emulator.url}/auth/vendor -H 'content-type: application/json' \\`,
      `    -d '{"clientId":"${emulator.vendor.clientId}","secret":"${emulator.vendor.secret}"}'`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`portcullis-emulator: ${signal}, closing\n`);
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `portcullis-emulator: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
