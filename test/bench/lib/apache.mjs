/**
 * Apache httpd 2.4 with mod_oauth2 (OpenIDC, Debian `libapache2-mod-oauth2`) as a native peer of
 * the sidecar: an OAuth 2.0 resource server verifying the RS256 JWT through a JWKS URI, with its
 * token-validation cache (shm) and the JWKS cached, proxying to the upstream over keep-alive.
 * One event-MPM child, pinned with its master to the server core; its CPU is the master's plus
 * every child's.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnPinned, waitForUrl } from './external.mjs';

export const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

export const apacheAvailable = () =>
  existsSync(APACHE) && existsSync(join(MODULES, 'mod_oauth2.so'));

function apacheConfig(dir, port, { upstreamPort, jwksUri }) {
  const load = (name, file) => `LoadModule ${name} ${MODULES}/${file}`;
  return `ServerRoot "${dir}"
ServerName 127.0.0.1
PidFile ${dir}/httpd.pid
Listen 127.0.0.1:${port}
${load('mpm_event_module', 'mod_mpm_event.so')}
${load('authn_core_module', 'mod_authn_core.so')}
${load('authz_core_module', 'mod_authz_core.so')}
${load('authz_user_module', 'mod_authz_user.so')}
${load('proxy_module', 'mod_proxy.so')}
${load('proxy_http_module', 'mod_proxy_http.so')}
${load('oauth2_module', 'mod_oauth2.so')}
User nobody
Group nogroup
ErrorLog ${dir}/apache-error.log
LogLevel warn
# One child with enough threads for the bench's 32 connections (as nginx gets one worker).
StartServers 1
ServerLimit 1
MinSpareThreads 1
MaxSpareThreads 64
ThreadsPerChild 64
ThreadLimit 64
MaxRequestWorkers 64
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 60
OAuth2Cache shm max_entries=10000
<Location "/">
  AuthType oauth2
  OAuth2TokenVerify jwks_uri ${jwksUri} jwks_uri.ssl_verify=false&verify.exp=required&verify.iat=skip
  Require valid-user
  ProxyPass "http://127.0.0.1:${upstreamPort}/" keepalive=On
</Location>
`;
}

/** Start httpd in the foreground, pinned to `core`; resolves once `/` answers (401 without a token). */
export async function startApache(dir, { upstreamPort, jwksUri, core }) {
  const port = await freePort();
  const conf = join(dir, 'httpd.conf');
  writeFileSync(conf, apacheConfig(dir, port, { upstreamPort, jwksUri }));
  const proc = spawnPinned(core, APACHE, ['-d', dir, '-f', conf, '-DFOREGROUND'], {
    logFile: join(dir, 'apache.out'),
  });
  await waitForUrl(`http://127.0.0.1:${port}/`, { child: proc.child, status: 401 });
  return { ...proc, url: `http://127.0.0.1:${port}` };
}
