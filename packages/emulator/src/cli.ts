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
  --host <addr>            bind address (default 127.0.0.1)
  --seed <file>            JSON seed applied when the state is fresh
  --state <file>           JSON state file kept across restarts (holds keys and secrets)
  --vendor-client-id <id>  vendor client id (env PORTCULLIS_EMULATOR_VENDOR_CLIENT_ID)
  --vendor-secret <s>      vendor secret (env PORTCULLIS_EMULATOR_VENDOR_SECRET)
  --workspace-id <id>      the "aud" of every token
  --help                   show this help

The first line on stdout is the base URL.`;

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
        'workspace-id': { type: 'string' },
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
    ...(values['workspace-id'] === undefined ? {} : { workspaceId: values['workspace-id'] }),
  };

  const emulator = await startEmulator(options);
  process.stdout.write(
    [
      emulator.url,
      `vendor client id: ${emulator.vendor.clientId}`,
      `vendor secret:    ${emulator.vendor.secret}`,
      `workspace id:     ${emulator.workspaceId}`,
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
