#!/usr/bin/env node
/**
 * `npm start`: Portcullis working in one command. Starts the emulator (a local Frontegg stand-in),
 * seeds it over its HTTP API, starts a small upstream and the `portcullis` sidecar in front of it
 * (built CLIs, env configuration, the route rules of docker/config/portcullis.yaml), registers the
 * two webhooks, waits until the sidecar is ready, then prints the URLs and curl commands that show
 * every behaviour. Ctrl-C (or SIGTERM) stops everything.
 *
 * Ports (default → env / flag; 0 picks a free one):
 *   sidecar 8080  PORTCULLIS_DEMO_SIDECAR_PORT  --sidecar-port
 *   admin   9090  PORTCULLIS_DEMO_ADMIN_PORT    --admin-port
 *   emulator 4000 PORTCULLIS_DEMO_EMULATOR_PORT --emulator-port
 *   upstream 3000 PORTCULLIS_DEMO_UPSTREAM_PORT --upstream-port
 * Exit codes: 0 after a clean stop, 1 on a start-up failure (a taken port included), 2 on bad usage.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { registerHooks, vendorToken, waitForHttp } from './lib/emulator-api.mjs';
import { seedDemo } from './lib/demo-seed.mjs';

const HOST = '127.0.0.1';
const repo = fileURLToPath(new URL('..', import.meta.url));
const EMULATOR_CLI = join(repo, 'packages/emulator/dist/cli.js');
const SIDECAR_CLI = join(repo, 'packages/sidecar/dist/cli.js');
const ROUTES_FILE = join(repo, 'docker/config/portcullis.yaml');

const VENDOR = { clientId: 'portcullis-demo-vendor', secret: 'portcullis-demo-vendor-secret' };
const FRONTEGG_HOOK_SECRET = `demo-hook-${randomBytes(12).toString('hex')}`;
const STANDARD_HOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const ADMIN_TOKEN = randomBytes(24).toString('hex');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const PORTS = [
  { name: 'sidecar', flag: 'sidecar-port', env: 'PORTCULLIS_DEMO_SIDECAR_PORT', fallback: 8080 },
  { name: 'admin', flag: 'admin-port', env: 'PORTCULLIS_DEMO_ADMIN_PORT', fallback: 9090 },
  { name: 'emulator', flag: 'emulator-port', env: 'PORTCULLIS_DEMO_EMULATOR_PORT', fallback: 4000 },
  { name: 'upstream', flag: 'upstream-port', env: 'PORTCULLIS_DEMO_UPSTREAM_PORT', fallback: 3000 },
];

const USAGE = `Usage: npm start [-- options]   (or: node scripts/demo.mjs [options])

Options (each also an env variable; 0 picks a free port):
${PORTS.map((p) => `  --${p.flag} <n>`.padEnd(25) + `${p.env} (default ${p.fallback})`).join('\n')}
  --verbose              also print the sidecar's and the emulator's logs
  --help                 show this help`;

class DemoError extends Error {}

function usageError(message) {
  process.stderr.write(`demo: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function readOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        ...Object.fromEntries(PORTS.map((p) => [p.flag, { type: 'string' }])),
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    usageError(error.message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const ports = {};
  for (const spec of PORTS) {
    const raw = values[spec.flag] ?? process.env[spec.env] ?? String(spec.fallback);
    const port = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || port > 65_535) {
      usageError(`--${spec.flag} / ${spec.env} must be a port number 0-65535, got "${raw}"`);
    }
    ports[spec.name] = port;
  }
  const fixed = Object.entries(ports).filter(([, port]) => port !== 0);
  for (const [name, port] of fixed) {
    const other = fixed.find(([otherName, otherPort]) => otherName !== name && otherPort === port);
    if (other) usageError(`the ${name} and ${other[0]} ports are both ${port}`);
  }
  return { ports, verbose: values.verbose === true };
}

/** Fail early, naming the setting, when a fixed port is taken (nothing is started yet). */
async function checkPortFree(name, port) {
  if (port === 0) return;
  const spec = PORTS.find((p) => p.name === name);
  await new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', (error) => {
      const why =
        error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${error.code})`;
      reject(
        new DemoError(
          `port ${port} (${name}) ${why}. Pick another with --${spec.flag} <port> or ${spec.env}=<port>, e.g. npm start -- --${spec.flag} ${port + 1}`,
        ),
      );
    });
    probe.listen(port, HOST, () => probe.close(resolve));
  });
}

/** The sample upstream: echoes what reached it, identity headers included. */
function startUpstream(port) {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const identity = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (name.startsWith('x-portcullis-')) identity[name.slice('x-portcullis-'.length)] = value;
      }
      const body = JSON.stringify({
        upstream: 'demo',
        method: request.method,
        path: request.url,
        identity,
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end(`${body}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve(server));
  });
}

/** A child process whose output goes to a log file (and the console with --verbose). */
function startChild(name, args, env, logDir, verbose) {
  const log = createWriteStream(join(logDir, `${name}.log`));
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  const lines = (stream, onLine) =>
    createInterface({ input: stream }).on('line', (line) => {
      log.write(`${line}\n`);
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (verbose) process.stderr.write(`[${name}] ${line}\n`);
      onLine?.(line);
    });
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { name, child, lines, tail, exited, logPath: join(logDir, `${name}.log`) };
}

/** Resolve with the first value `pick` returns for a line, or reject when the child exits or time runs out. */
function waitForLine(proc, stream, pick) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new DemoError(`${proc.name} did not start in time; see ${proc.logPath}`)),
      START_TIMEOUT_MS,
    );
    proc.exited.then(({ code }) => {
      clearTimeout(timer);
      reject(
        new DemoError(
          `${proc.name} exited (code ${code}) while starting:\n  ${proc.tail.join('\n  ')}`,
        ),
      );
    });
    proc.lines(stream, (line) => {
      const value = pick(line);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve(value);
      }
    });
  });
}

function sidecarEnv(urls) {
  // The sidecar refuses unknown PORTCULLIS_* names (exit 2), so none of the shell's — the demo's
  // own port variables included — are passed on.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')),
  );
  return {
    ...env,
    PORTCULLIS_LISTEN: `${HOST}:${urls.sidecarPort}`,
    PORTCULLIS_ADMIN_LISTEN: `${HOST}:${urls.adminPort}`,
    PORTCULLIS_PROVIDER: 'frontegg',
    // The emulator serves Frontegg's vendor API and app domain on one origin: the same URL twice.
    PORTCULLIS_FRONTEGG_BASE_URL: urls.emulator,
    PORTCULLIS_FRONTEGG_APP_URL: urls.emulator,
    PORTCULLIS_FRONTEGG_CLIENT_ID: VENDOR.clientId,
    PORTCULLIS_FRONTEGG_API_KEY: VENDOR.secret,
    PORTCULLIS_UPSTREAM: urls.upstream,
    PORTCULLIS_CONFIG: ROUTES_FILE,
    PORTCULLIS_FRONTEGG_WEBHOOK_SECRET: FRONTEGG_HOOK_SECRET,
    PORTCULLIS_STANDARD_WEBHOOK_SECRET: STANDARD_HOOK_SECRET,
    PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN,
    // Both kinds stay accepted whichever strategy the emulator is switched to.
    PORTCULLIS_POLICY_CREDENTIALS: 'client_credentials,access_token',
    // A vendor-side change shows within 5 s even without a webhook.
    PORTCULLIS_POLICY_SYNC_MS: '5000',
    PORTCULLIS_DRAIN_MS: '2000',
    PORTCULLIS_LOG_LEVEL: 'info',
  };
}

const quote = (value) => `'${String(value).replaceAll("'", "'\\''")}'`;

function guide({ urls, seed, logDir }) {
  const api = urls.sidecar;
  const emu = urls.emulator;
  const basic = (token) => `curl -i -u ${quote(`${token.clientId}:${token.secret}`)} ${api}/orders`;
  const vendorBody = JSON.stringify({ clientId: VENDOR.clientId, secret: VENDOR.secret });
  const asVendor = `-H "authorization: Bearer $VENDOR_TOKEN"`;
  const setting = (enabled) =>
    `curl -i -X POST ${asVendor} -H 'content-type: application/json' -d '{"apiTokensEnabled":${enabled}}' ${emu}/identity/resources/configurations/v1`;
  return `
Portcullis demo is running (everything on ${HOST}; Ctrl-C stops it all).

  sidecar   ${api}   reverse proxy in front of the upstream; routes: docker/config/portcullis.yaml
  admin     ${urls.admin}   /healthz /readyz /metrics; operator API token: ${ADMIN_TOKEN}
  upstream  ${urls.upstream}   echoes the X-Portcullis-* identity headers it receives
  emulator  ${emu}   local Frontegg stand-in (vendor ${VENDOR.clientId} / ${VENDOR.secret})
  console   ${emu}/console   sign in as the vendor (above) or as the user ${seed.userEmail} / ${seed.userPassword}
  logs      ${logDir}

Seeded: tenant ${seed.tenantId}; user ${seed.userEmail} (${seed.userId}) with roles orders-admin and
api-token-manager (the six fe.secure.* token permissions, so the console shows the user's tokens);
roles orders-reader (orders.read) and orders-admin (orders.read, orders.write); one token of each kind.

1. Client credentials via Basic (tenant API token, orders-admin): 200, identity echoed
   ${basic(seed.tenantApiToken)}

2. Client credentials via Basic (personal API token, orders-reader): 200
   ${basic(seed.personalApiToken)}

3. Access token via X-API-Key (tenant access token, orders-reader): 200
   curl -i -H ${quote(`x-api-key: ${seed.tenantAccessToken.secret}`)} ${api}/orders

4. Access token as Bearer (personal access token, the user's roles): 200
   curl -i -H ${quote(`authorization: Bearer ${seed.personalAccessToken.secret}`)} ${api}/orders

5. Refused for a missing permission (orders-reader may not write orders): 403
   curl -i -X POST -H ${quote(`x-api-key: ${seed.tenantAccessToken.secret}`)} ${api}/orders

6. Delete the personal access token at the IdP (vendor token first); its next call fails: 401
   export VENDOR_TOKEN=$(curl -s -X POST ${emu}/auth/vendor -H 'content-type: application/json' -d ${quote(vendorBody)} | sed -E 's/.*"token":"([^"]+)".*/\\1/')
   curl -i -X DELETE ${asVendor} -H 'frontegg-tenant-id: ${seed.tenantId}' -H 'frontegg-user-id: ${seed.userId}' ${emu}/identity/resources/users/access-tokens/v1/${seed.personalAccessToken.id}
   curl -i -H ${quote(`authorization: Bearer ${seed.personalAccessToken.secret}`)} ${api}/orders

7. Disable M2M tokens at the IdP: every credential is refused (401, "M2M tokens are disabled by the vendor") ...
   ${setting(false)}
   ${basic(seed.tenantApiToken)}
   ... and re-enable them: the same credential works again (200)
   ${setting(true)}
   ${basic(seed.tenantApiToken)}

(The emulator delivers its webhooks asynchronously: if a call right after a change still shows
the old answer, run it again.)

Press Ctrl-C to stop.
`;
}

async function main() {
  const { ports, verbose } = readOptions();
  for (const [cli, what] of [
    [EMULATOR_CLI, 'emulator'],
    [SIDECAR_CLI, 'sidecar'],
  ]) {
    if (!existsSync(cli)) {
      throw new DemoError(
        `the ${what} is not built (${cli} missing): run \`npm start\` (it builds first) or \`npm run build\``,
      );
    }
  }
  for (const spec of PORTS) await checkPortFree(spec.name, ports[spec.name]);

  const logDir = mkdtempSync(join(tmpdir(), 'portcullis-demo-'));
  const procs = [];
  let upstream;
  let stopping;

  const stop = (code) => {
    stopping ??= (async () => {
      process.stderr.write('\ndemo: stopping ...\n');
      // Sidecar first (it drains in-flight requests), then the emulator, then the upstream.
      for (const proc of [...procs].reverse()) {
        if (proc.child.exitCode === null && proc.child.signalCode === null) {
          proc.child.kill('SIGTERM');
          const timer = setTimeout(() => proc.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await proc.exited;
          clearTimeout(timer);
        }
      }
      await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve()));
      upstream?.closeAllConnections();
      if (code === 0) rmSync(logDir, { recursive: true, force: true });
      else process.stderr.write(`demo: logs kept in ${logDir}\n`);
      process.stderr.write('demo: stopped\n');
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));

  try {
    const emulator = startChild(
      'emulator',
      [
        EMULATOR_CLI,
        '--port',
        String(ports.emulator),
        '--vendor-client-id',
        VENDOR.clientId,
        '--vendor-secret',
        VENDOR.secret,
      ],
      process.env,
      logDir,
      verbose,
    );
    procs.push(emulator);
    emulator.lines(emulator.child.stderr);
    // The emulator's first stdout line is its base URL.
    const emulatorUrl = await waitForLine(emulator, emulator.child.stdout, (line) =>
      /^https?:\/\//.test(line) ? line.trim() : undefined,
    );
    const token = await vendorToken(emulatorUrl, VENDOR);
    const seed = await seedDemo(emulatorUrl, token);

    upstream = await startUpstream(ports.upstream);
    const upstreamUrl = `http://${HOST}:${upstream.address().port}`;

    const sidecar = startChild(
      'sidecar',
      [SIDECAR_CLI],
      sidecarEnv({
        sidecarPort: ports.sidecar,
        adminPort: ports.admin,
        emulator: emulatorUrl,
        upstream: upstreamUrl,
      }),
      logDir,
      verbose,
    );
    procs.push(sidecar);
    sidecar.lines(sidecar.child.stderr);
    // The sidecar logs its bound addresses (real ports even when configured as 0).
    const listening = await waitForLine(sidecar, sidecar.child.stdout, (line) => {
      try {
        const entry = JSON.parse(line);
        return entry.msg === 'portcullis listening' ? entry : undefined;
      } catch {
        return undefined;
      }
    });
    const urls = {
      sidecar: listening.mainUrl,
      admin: listening.adminUrl,
      upstream: upstreamUrl,
      emulator: emulatorUrl,
    };
    await registerHooks(emulatorUrl, token, {
      fronteggUrl: `${urls.sidecar}/.portcullis/webhooks/frontegg`,
      fronteggSecret: FRONTEGG_HOOK_SECRET,
      standardUrl: `${urls.sidecar}/.portcullis/webhooks/standard`,
      standardSecret: STANDARD_HOOK_SECRET,
    });
    await waitForHttp(`${urls.admin}/readyz`, { timeoutMs: START_TIMEOUT_MS });

    // From here on, a child that dies takes the demo down with a message.
    for (const proc of procs) {
      proc.exited.then(({ code, signal }) => {
        if (stopping) return;
        // Ctrl-C in a terminal signals the children too; they stop cleanly (exit 0) on their own.
        if (code === 0) {
          stop(0);
          return;
        }
        process.stderr.write(
          `demo: the ${proc.name} stopped unexpectedly (${signal ?? `code ${code}`}):\n  ${proc.tail.join('\n  ')}\n`,
        );
        stop(1);
      });
    }
    process.stdout.write(guide({ urls, seed, logDir }));
  } catch (error) {
    const message =
      error instanceof DemoError ? error.message : `start-up failed: ${error.message}`;
    process.stderr.write(`demo: ${message}\n`);
    for (const proc of procs) {
      if (proc.tail.length > 0 && !(error instanceof DemoError)) {
        process.stderr.write(`  last ${proc.name} lines:\n    ${proc.tail.join('\n    ')}\n`);
      }
    }
    await stop(1);
  }
}

main().catch((error) => {
  process.stderr.write(`demo: ${error instanceof DemoError ? error.message : error.stack}\n`);
  process.exit(1);
});
