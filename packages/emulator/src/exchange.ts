import type { EmulatorApp } from './app.js';
import { HttpError } from './http/errors.js';
import { assertEnabled } from './policy.js';
import { verifySecret } from './secrets.js';
import { isExpired } from './state.js';
import type { ApiToken } from './state.js';
import { consumeRefreshToken, issueApiTokenJwt, issueRefreshToken } from './tokens.js';

export interface ExchangeResult {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  readonly expires: string;
}

const invalidCredentials = (): HttpError => new HttpError(401, 'Invalid client credentials');

/** A live API token for these credentials (secret checked in constant time), else undefined. */
export function checkClientCredentials(
  app: EmulatorApp,
  clientId: string,
  secret: string,
): ApiToken | undefined {
  const token = app.state.apiTokens[clientId];
  if (!token || !verifySecret(secret, token.secretHash)) return undefined;
  return isUsable(app, token) ? token : undefined;
}

/** Credentials that have not expired, whose tenant exists and whose user (if personal) is unlocked. */
export function isUsable(app: EmulatorApp, token: ApiToken): boolean {
  if (isExpired(token.expires, app.now()) || !app.state.tenants[token.tenantId]) return false;
  if (token.kind === 'user') {
    const user = token.userId === undefined ? undefined : app.state.users[token.userId];
    if (!user || user.isLocked || !user.tenants[token.tenantId]) return false;
  }
  return true;
}

/** `POST /auth/v{1,2}/api-token`: clientId + secret → JWT + single-use refresh token. */
export async function exchangeCredentials(
  app: EmulatorApp,
  clientId: string,
  secret: string,
): Promise<ExchangeResult> {
  assertEnabled(app);
  const token = checkClientCredentials(app, clientId, secret);
  if (!token) throw invalidCredentials();
  return issue(app, token);
}

/** `POST /auth/v{1,2}/api-token/token/refresh`: a refresh token works once. */
export async function exchangeRefreshToken(
  app: EmulatorApp,
  refreshToken: string,
): Promise<ExchangeResult> {
  assertEnabled(app);
  const clientId = consumeRefreshToken(app, refreshToken);
  const token = clientId === undefined ? undefined : app.state.apiTokens[clientId];
  if (!token || !isUsable(app, token)) throw new HttpError(401, 'Invalid refresh token');
  return issue(app, token);
}

async function issue(app: EmulatorApp, token: ApiToken): Promise<ExchangeResult> {
  const { jwt, expiresIn } = await issueApiTokenJwt(app, token);
  return {
    accessToken: jwt,
    refreshToken: issueRefreshToken(app, token.clientId),
    expiresIn,
    expires: new Date(app.now() + expiresIn * 1000).toISOString(),
  };
}
