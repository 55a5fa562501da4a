/**
 * Scenario 2: the cost of a proxy hop, per request. Every proxy runs pinned to the server core and
 * forwards to one upstream on the load core; "direct" is a second upstream pinned to the server
 * core (its own CPU per request, for scale). Ratios are against the bare undici pass-through.
 */
import { rmSync, mkdtempSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { config } from '../lib/config.mjs';
import { serverPath, startServer } from '../lib/child.mjs';
import { compareInterleaved, expectOk } from '../lib/compare.mjs';
import { apacheAvailable, startApache } from '../lib/apache.mjs';
import { freePort, spawnPinned, waitForUrl } from '../lib/external.mjs';

const NGINX = '/usr/sbin/nginx';
export const SIDECAR_CLI = fileURLToPath(
  new URL('../../../packages/sidecar/dist/cli.js', import.meta.url),
);

function nginxConfig(dir, listenPort, upstreamPort) {
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${listenPort};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

export async function startNginx(dir, upstreamPort) {
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, upstreamPort));
  const proc = spawnPinned(config.serverCore, NGINX, ['-p', dir, '-c', conf, '-g', 'daemon off;'], {
    logFile: join(dir, 'nginx.out'),
  });
  await waitForUrl(`http://127.0.0.1:${port}/`, { child: proc.child });
  return { ...proc, url: `http://127.0.0.1:${port}` };
}

/** The built CLI as deployed: env config (docs/design.md §7), access log (info) to a pipe, metrics on. */
export async function startSidecarCli(
  dir,
  name,
  { upstream, provider, extraEnv = {}, core, nodeFlags = [], cli = SIDECAR_CLI },
) {
  const port = await freePort();
  const adminPort = await freePort();
  const env = {
    PATH: process.env.PATH,
    PORTCULLIS_LISTEN: `127.0.0.1:${port}`,
    PORTCULLIS_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    PORTCULLIS_PROVIDER: 'frontegg',
    PORTCULLIS_FRONTEGG_BASE_URL: provider.baseUrl,
    PORTCULLIS_FRONTEGG_APP_URL: provider.appUrl,
    PORTCULLIS_FRONTEGG_CLIENT_ID: provider.clientId,
    PORTCULLIS_FRONTEGG_API_KEY: provider.apiKey,
    PORTCULLIS_POLICY_ENABLED: 'true',
    PORTCULLIS_POLICY_CREDENTIALS: 'client_credentials,access_token',
    PORTCULLIS_LOG_LEVEL: 'info',
    ...(upstream ? { PORTCULLIS_UPSTREAM: upstream } : {}),
    ...extraEnv,
  };
  const proc = spawnPinned(core ?? config.serverCore, process.execPath, [...nodeFlags, cli], {
    env,
    logFile: join(dir, `${name}.log`),
    // The access log goes to a pipe, as deployed (a container runtime reads stdout).
    pipe: true,
  });
  await waitForUrl(`http://127.0.0.1:${adminPort}/readyz`, {
    child: proc.child,
    onExit: () => `: ${proc.tail().slice(-1500)}`,
  });
  return {
    ...proc,
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
  };
}

export async function runSidecar({ env, log }) {
  const { seeded } = env;
  if (!existsSync(SIDECAR_CLI)) throw new Error(`${SIDECAR_CLI} missing: build packages/sidecar`);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-sidecar-'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const running = [];
  const keep = (proc) => (running.push(proc), proc);
  try {
    const upstream = keep(await startServer(serverPath('upstream.mjs'), { core: config.loadCore }));
    const direct = keep(await startServer(serverPath('upstream.mjs'), { core: config.serverCore }));
    const args = { upstream: upstream.url };
    const undiciProxy = keep(
      await startServer(serverPath('undici-proxy.mjs'), { core: config.serverCore, args }),
    );
    const undiciStream = keep(
      await startServer(serverPath('undici-proxy.mjs'), {
        core: config.serverCore,
        args: { ...args, mode: 'stream' },
      }),
    );
    const httpProxy = keep(
      await startServer(serverPath('http-proxy.mjs'), { core: config.serverCore, args }),
    );
    const sidecar = keep(
      await startSidecarCli(dir, 'portcullis', {
        upstream: upstream.url,
        provider: seeded.provider,
      }),
    );
    const quiet = keep(
      await startSidecarCli(dir, 'portcullis-warn', {
        upstream: upstream.url,
        provider: seeded.provider,
        extraEnv: { PORTCULLIS_LOG_LEVEL: 'warn' },
      }),
    );
    const headers = { authorization: `Bearer ${seeded.apiToken.jwt}` };
    const cases = [
      { name: 'direct', label: 'direct upstream (no proxy)', url: direct.url, pid: direct.pid },
      {
        name: 'undici-proxy',
        label: 'bare undici pass-through proxy',
        url: undiciProxy.url,
        pid: undiciProxy.pid,
      },
      {
        name: 'undici-proxy-stream',
        label: 'bare undici proxy, stream() API',
        url: undiciStream.url,
        pid: undiciStream.pid,
      },
      {
        name: 'portcullis',
        label: 'portcullis sidecar, cached JWT, access log + metrics',
        url: sidecar.url,
        pid: sidecar.pid,
      },
      {
        name: 'portcullis-log-warn',
        label: 'portcullis sidecar, same, access log off (level warn)',
        url: quiet.url,
        pid: quiet.pid,
      },
      { name: 'http-proxy', label: 'http-proxy', url: httpProxy.url, pid: httpProxy.pid },
    ];
    if (existsSync(NGINX)) {
      const nginx = keep(await startNginx(dir, upstream.port));
      cases.push({ name: 'nginx', label: 'nginx pass-through', url: nginx.url, pid: nginx.pid });
    } else {
      log('  nginx not installed: skipped');
    }
    if (apacheAvailable()) {
      // The same 1 KB RS256 JWT through the same JWKS (the emulator's) as the sidecar.
      const apache = keep(
        await startApache(dir, {
          upstreamPort: upstream.port,
          jwksUri: `${seeded.emulator.url}/.well-known/jwks.json`,
          core: config.serverCore,
        }),
      );
      cases.push({
        name: 'apache-oauth2',
        label: 'Apache httpd + mod_oauth2, cached JWT (no access log)',
        url: apache.url,
        pid: apache.pid,
      });
    } else {
      log(
        '  apache2 + mod_oauth2 not installed: skipped (apt-get install apache2 libapache2-mod-oauth2)',
      );
    }
    for (const c of cases) {
      c.url = `${c.url}/orders`;
      c.headers = headers;
      await expectOk(c.url, headers);
    }
    const results = await compareInterleaved(cases, 'undici-proxy', log);
    return { cases: results };
  } finally {
    await Promise.all(running.map((proc) => proc.stop()));
    // Access logs of a run are tens of MB: keep them only when asked.
    if (process.env.BENCH_KEEP_LOGS === '1') log(`  logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
