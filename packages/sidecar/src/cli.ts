#!/usr/bin/env node
/**
 * The `portcullis` command. The only module that reads `process.env` and `process.argv`.
 * Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration or usage.
 */
import { readFileSync } from 'node:fs';
import { isPortcullisError } from '@portcullis/core';
import { callAdmin, selectorFromArgs } from './cli/operator-client.js';
import type { OperatorTarget } from './cli/operator-client.js';
import { helpText } from './cli/help.js';
import { formatUrl, parseListenAddress } from './config/listen-address.js';
import { loadConfig } from './config/load.js';
import type { ConfigIssue } from './config/load.js';
import { redactConfig } from './config/redact.js';
import type { SidecarConfig } from './config/sidecar-config.js';
import { createLogger } from './logging/logger.js';
import { startSidecar } from './sidecar.js';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_CONFIG = 2;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Load the config or print every issue and exit 2. */
function configOrExit(argv: readonly string[]): SidecarConfig {
  try {
    return loadConfig(process.env, argv);
  } catch (error) {
    if (isPortcullisError(error) && error.code === 'ERR_INVALID_OPTION') {
      const issues = (error.details?.['issues'] as ConfigIssue[] | undefined) ?? [
        { field: String(error.details?.['option'] ?? 'config'), message: error.message },
      ];
      process.stderr.write('portcullis: invalid configuration\n');
      for (const issue of issues) process.stderr.write(`  ${issue.field}: ${issue.message}\n`);
      process.stderr.write(
        `${JSON.stringify({ level: 'fatal', msg: 'invalid configuration', issues })}\n`,
      );
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
}

function operatorTarget(args: readonly string[]): OperatorTarget {
  const at = args.indexOf('--admin-url');
  const explicit = at === -1 ? undefined : args[at + 1];
  let adminUrl = explicit;
  if (adminUrl === undefined) {
    const address = parseListenAddress(process.env['PORTCULLIS_ADMIN_LISTEN'] ?? '127.0.0.1:9090');
    if (address === undefined) usage('PORTCULLIS_ADMIN_LISTEN must be host:port');
    const host =
      address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
    adminUrl = formatUrl(host, address.port);
  }
  let token = process.env['PORTCULLIS_ADMIN_TOKEN'];
  const tokenFile = process.env['PORTCULLIS_ADMIN_TOKEN_FILE'];
  if ((token === undefined || token === '') && tokenFile !== undefined && tokenFile !== '') {
    token = readFileSync(tokenFile, 'utf8').replace(/\r?\n$/, '');
  }
  return {
    adminUrl: adminUrl.replace(/\/$/, ''),
    token: token === '' ? undefined : token,
    timeoutMs: 5_000,
  };
}

function withoutAdminUrl(args: readonly string[]): string[] {
  const at = args.indexOf('--admin-url');
  return at === -1 ? [...args] : [...args.slice(0, at), ...args.slice(at + 2)];
}

function usage(message: string): never {
  process.stderr.write(`portcullis: ${message}\nTry portcullis --help\n`);
  process.exit(EXIT_CONFIG);
}

async function operator(command: string, args: readonly string[]): Promise<number> {
  const target = operatorTarget(args);
  const rest = withoutAdminUrl(args);
  let result;
  if (command === 'revoke' || command === 'invalidate') {
    let selector;
    try {
      selector = selectorFromArgs(rest);
    } catch (error) {
      usage((error as Error).message);
    }
    result = await callAdmin(target, 'POST', `/v1/${command}`, selector);
  } else if (command === 'flush') {
    result = await callAdmin(target, 'POST', '/v1/flush', {});
  } else {
    result = await callAdmin(target, 'GET', `/v1/${command}`);
  }
  (result.status === 200 ? process.stdout : process.stderr).write(`${result.body}\n`);
  return result.status === 200 ? EXIT_OK : EXIT_FAILURE;
}

async function healthcheck(args: readonly string[]): Promise<number> {
  const target = operatorTarget(args);
  try {
    const result = await callAdmin(
      { ...target, token: undefined },
      'GET',
      args.includes('--ready') ? '/readyz' : '/healthz',
    );
    return result.status === 200 ? EXIT_OK : EXIT_FAILURE;
  } catch {
    return EXIT_FAILURE;
  }
}

async function run(argv: readonly string[]): Promise<void> {
  const config = configOrExit(argv);
  const logger = createLogger(config.logLevel);
  let sidecar;
  try {
    sidecar = await startSidecar(config, { logger });
  } catch (error) {
    if (isPortcullisError(error) && error.code === 'ERR_INVALID_OPTION') {
      logger.fatal(
        { issues: [{ field: error.details?.['option'], message: error.message }] },
        'invalid configuration',
      );
      process.exit(EXIT_CONFIG);
    }
    logger.fatal(
      { err: { message: (error as Error).message, code: (error as { code?: unknown }).code } },
      'start-up failed',
    );
    process.exit(EXIT_FAILURE);
  }
  logger.debug({ config: redactConfig(config) }, 'configuration');
  // Tests and orchestration read the bound addresses from this line (ports may be 0).
  logger.info(
    {
      mainUrl: sidecar.mainUrl,
      adminUrl: sidecar.adminUrl,
      mode: sidecar.mode,
      provider: config.provider.kind,
    },
    'portcullis listening',
  );
  // Orchestration and tests wait for that line: do not let it sit in the log batch.
  logger.flush();
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, drainMs: config.drainMs }, 'draining');
    logger.flush();
    sidecar
      .drain()
      .then(() => {
        logger.info({}, 'stopped');
        logger.flush();
        process.exit(EXIT_OK);
      })
      .catch((error: unknown) => {
        logger.error({ err: { message: (error as Error).message } }, 'shutdown failed');
        process.exit(EXIT_FAILURE);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (argv.includes('--help') || argv.includes('-h') || command === 'help') {
    process.stdout.write(helpText(version()));
    return;
  }
  if (argv.includes('--version') || command === 'version') {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (argv.includes('--print-config')) {
    const config = configOrExit(argv.filter((arg) => arg !== '--print-config'));
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
    return;
  }
  switch (command) {
    case undefined:
    case 'run':
      return run(command === undefined ? argv : rest);
    case 'check-config': {
      const config = configOrExit(rest);
      process.stdout.write(
        `configuration OK (${config.upstream === undefined ? 'verify-only' : 'proxy'} mode, provider ${config.provider.kind})\n`,
      );
      return;
    }
    case 'healthcheck':
      process.exitCode = await healthcheck(rest);
      return;
    case 'revoke':
    case 'invalidate':
    case 'policy':
    case 'tombstones':
    case 'flush':
      process.exitCode = await operator(command, rest);
      return;
    default:
      if (command.startsWith('--config')) return run(argv);
      usage(`unknown command ${command}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`portcullis: ${(error as Error).message}\n`);
  process.exit(EXIT_FAILURE);
});
