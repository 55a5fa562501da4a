import type { EmulatorApp } from '../app.js';
import { exchangeCredentials, exchangeRefreshToken } from '../exchange.js';
import type { ExchangeResult } from '../exchange.js';
import type { Router } from '../http/router.js';
import { objectBody, requiredString } from '../http/validate.js';

const camel = (result: ExchangeResult): Record<string, unknown> => ({ ...result });
const snake = (result: ExchangeResult): Record<string, unknown> => ({
  access_token: result.accessToken,
  refresh_token: result.refreshToken,
  expires_in: result.expiresIn,
  expires: result.expires,
});

/** Client-credentials exchange: v1 answers camelCase, v2 snake_case (frontegg-wire §3). */
export function registerExchangeRoutes(router: Router, app: EmulatorApp): void {
  for (const [version, shape] of [
    ['v1', camel],
    ['v2', snake],
  ] as const) {
    const base = `/identity/resources/auth/${version}/api-token`;
    router.add('POST', base, 'exchange', async ({ body }) => {
      const input = objectBody(body);
      const clientId = requiredString(input, 'clientId', 256);
      const secret = requiredString(input, 'secret', 256);
      return { status: 200, body: shape(await exchangeCredentials(app, clientId, secret)) };
    });
    router.add('POST', `${base}/token/refresh`, 'exchange', async ({ body }) => {
      const refreshToken = requiredString(objectBody(body), 'refreshToken', 512);
      return { status: 200, body: shape(await exchangeRefreshToken(app, refreshToken)) };
    });
  }
}
