import type { IncomingHttpHeaders } from 'node:http';
import type { JWTPayload } from 'jose';
import type { EmulatorApp } from '../app.js';
import { bearerOf } from '../auth.js';
import { checkClientCredentials, isUsable } from '../exchange.js';
import { HttpError } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { lookupHash, safeEqual } from '../secrets.js';
import { audienceOf } from '../state.js';
import { apiTokenGrants, issueApiTokenJwt } from '../tokens.js';
import { accessTokenGrants, isActiveAccessToken } from './access-tokens.js';

const oauthError = (status: number, error: string, description: string): HttpError =>
  new HttpError(
    status,
    description,
    status === 401 ? { 'www-authenticate': 'Basic realm="portcullis-emulator"' } : {},
    { error, error_description: description },
  );

type Client = { kind: 'vendor' } | { kind: 'apiToken'; clientId: string };

/** HTTP Basic client authentication (`client_secret_basic`, RFC 6749 §2.3.1). */
function basicClient(app: EmulatorApp, headers: IncomingHttpHeaders): Client | undefined {
  const header = headers['authorization'];
  const match = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const clientId = decodeForm(decoded.slice(0, colon));
  const secret = decodeForm(decoded.slice(colon + 1));
  if (
    safeEqual(clientId, app.state.vendor.clientId) &&
    safeEqual(secret, app.state.vendor.secret)
  ) {
    return { kind: 'vendor' };
  }
  return checkClientCredentials(app, clientId, secret) ? { kind: 'apiToken', clientId } : undefined;
}

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding. */
function decodeForm(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** Introspection/revocation callers: Basic (vendor or an API token's credentials) or the vendor token. */
async function protectedResource(app: EmulatorApp, headers: IncomingHttpHeaders): Promise<Client> {
  const basic = basicClient(app, headers);
  if (basic) return basic;
  const bearer = bearerOf(headers);
  if (bearer !== undefined) {
    const claims = await app.keys.verify(bearer, app.url(), audienceOf(app.state));
    if (claims?.['type'] === 'vendor') return { kind: 'vendor' };
  }
  throw oauthError(401, 'invalid_client', 'Client authentication failed');
}

function formField(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function requireForm(body: unknown, name: string): string {
  const value = formField(body, name);
  if (value === undefined) throw oauthError(400, 'invalid_request', `${name} is required`);
  return value;
}

/** Generic OAuth 2.0 over the same API tokens: RFC 8414, 6749 (client_credentials), 7662, 7009. */
export function registerOAuthRoutes(router: Router, app: EmulatorApp): void {
  const metadata = (): Record<string, unknown> => ({
    issuer: app.url(),
    token_endpoint: `${app.url()}/oauth/token`,
    introspection_endpoint: `${app.url()}/oauth/introspect`,
    revocation_endpoint: `${app.url()}/oauth/revoke`,
    jwks_uri: `${app.url()}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
    id_token_signing_alg_values_supported: ['RS256'],
  });
  router.add('GET', '/.well-known/oauth-authorization-server', 'oauth', () => ({
    status: 200,
    body: metadata(),
  }));
  router.add('GET', '/.well-known/openid-configuration', 'oauth', () => ({
    status: 200,
    body: metadata(),
  }));

  router.add('POST', '/oauth/token', 'oauth', async ({ headers, body }) => {
    const grantType = requireForm(body, 'grant_type');
    if (grantType !== 'client_credentials') {
      throw oauthError(400, 'unsupported_grant_type', 'Only client_credentials is supported');
    }
    const client = basicClient(app, headers);
    if (!client || client.kind !== 'apiToken') {
      throw oauthError(401, 'invalid_client', 'Client authentication failed');
    }
    if (!app.state.configuration.apiTokensEnabled) {
      throw oauthError(400, 'unauthorized_client', 'Api tokens are disabled');
    }
    const token = app.state.apiTokens[client.clientId];
    if (!token) throw oauthError(401, 'invalid_client', 'Client authentication failed');
    // A requested scope must be among the granted permissions; the JWT carries them all anyway.
    const granted = apiTokenGrants(app, token).permissions;
    const requested = formField(body, 'scope');
    if (requested !== undefined) {
      const missing = requested.split(' ').filter((scope) => scope && !granted.includes(scope));
      if (missing.length > 0) {
        throw oauthError(400, 'invalid_scope', `Scope not granted: ${missing.join(' ')}`);
      }
    }
    const { jwt, expiresIn } = await issueApiTokenJwt(app, token);
    return {
      status: 200,
      headers: { pragma: 'no-cache' },
      body: {
        access_token: jwt,
        token_type: 'Bearer',
        expires_in: expiresIn,
        ...(granted.length > 0 ? { scope: granted.join(' ') } : {}),
      },
    };
  });

  router.add('POST', '/oauth/introspect', 'oauth', async ({ headers, body }) => {
    await protectedResource(app, headers);
    const token = requireForm(body, 'token');
    return { status: 200, body: await introspect(app, token) };
  });

  router.add('POST', '/oauth/revoke', 'oauth', async ({ headers, body }) => {
    const client = await protectedResource(app, headers);
    const token = requireForm(body, 'token');
    await revoke(app, client, token);
    // RFC 7009 §2.2: 200 whether or not the token was known.
    return { status: 200, body: {} };
  });
}

/** RFC 7662 answer; inactive whenever M2M is disabled (re-enabling makes tokens active again). */
export async function introspect(
  app: EmulatorApp,
  token: string,
): Promise<Record<string, unknown>> {
  const inactive = { active: false };
  if (!app.state.configuration.apiTokensEnabled) return inactive;
  const claims = await app.keys.verify(token, app.url(), audienceOf(app.state));
  if (!claims || typeof claims.sub !== 'string') return inactive;
  if (claims.jti !== undefined && app.state.revokedJtis[claims.jti] !== undefined) return inactive;
  const live = liveGrants(app, claims);
  if (!live) return inactive;
  return {
    active: true,
    iss: claims.iss,
    aud: claims.aud,
    sub: claims.sub,
    iat: claims.iat,
    ...(claims.exp === undefined ? {} : { exp: claims.exp }),
    jti: claims.jti,
    token_type: 'Bearer',
    type: claims['type'],
    tenantId: claims['tenantId'],
    ...(claims['userId'] === undefined ? {} : { userId: claims['userId'] }),
    ...(claims['createdByUserId'] === undefined
      ? {}
      : { createdByUserId: claims['createdByUserId'] }),
    ...(live.clientId === undefined ? {} : { client_id: live.clientId }),
    roles: live.roles,
    permissions: live.permissions,
    scope: live.permissions.join(' '),
  };
}

function liveGrants(
  app: EmulatorApp,
  claims: JWTPayload,
): { roles: string[]; permissions: string[]; clientId?: string } | undefined {
  const sub = claims.sub ?? '';
  switch (claims['type']) {
    case 'tenantApiToken':
    case 'userApiToken': {
      const apiToken = app.state.apiTokens[sub];
      if (!apiToken || !isUsable(app, apiToken)) return undefined;
      const roles = Array.isArray(claims['roles']) ? (claims['roles'] as string[]) : [];
      const permissions = Array.isArray(claims['permissions'])
        ? (claims['permissions'] as string[])
        : [];
      return { roles, permissions, clientId: sub };
    }
    case 'tenantAccessToken':
    case 'userAccessToken': {
      const accessToken = app.state.accessTokens[sub];
      if (!accessToken || !isActiveAccessToken(app, accessToken)) return undefined;
      return accessTokenGrants(app, accessToken);
    }
    default:
      return undefined;
  }
}

async function revoke(app: EmulatorApp, client: Client, token: string): Promise<void> {
  const hash = lookupHash(token);
  const refresh = app.state.refreshTokens[hash];
  if (refresh) {
    if (client.kind === 'vendor' || refresh.clientId === client.clientId) {
      delete app.state.refreshTokens[hash];
    }
    return;
  }
  const claims = await app.keys.verify(token, app.url(), audienceOf(app.state));
  if (!claims?.jti || typeof claims.sub !== 'string') return;
  const own = client.kind === 'vendor' || claims.sub === client.clientId;
  if (!own) return; // RFC 7009 §2.1: a client may revoke only its own tokens.
  const nowSec = Math.floor(app.now() / 1000);
  for (const [jti, exp] of Object.entries(app.state.revokedJtis)) {
    if (exp < nowSec) delete app.state.revokedJtis[jti];
  }
  app.state.revokedJtis[claims.jti] = claims.exp ?? Number.MAX_SAFE_INTEGER;
  const accessToken = app.state.accessTokens[claims.sub];
  if (accessToken && client.kind === 'vendor') {
    delete app.state.accessTokens[accessToken.id];
    app.webhooks.emitPortcullis('token.revoked', {
      tokenId: accessToken.id,
      tenantId: accessToken.tenantId,
      ...(accessToken.userId === undefined ? {} : { userId: accessToken.userId }),
    });
  }
}
