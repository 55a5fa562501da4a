/**
 * Client credentials (`Authorization: Basic clientId:secret`) → a Frontegg JWT:
 * `POST {appUrl}/identity/resources/auth/v2/api-token` with JSON `{clientId, secret}`, answered in
 * snake_case `{access_token, refresh_token, expires_in, expires}` (frontegg-wire.md §3, v2).
 * The same route serves tenant and user API tokens; the JWT's `type` tells them apart.
 */
import { PortcullisError } from '../../errors.js';
import type { FronteggSend } from './http.js';

export const API_TOKEN_EXCHANGE_PATH = '/identity/resources/auth/v2/api-token';

const MAX_TOKEN_CHARS = 16_384;

/** Exchanges the pair; ERR_CLIENT_CREDENTIALS_INVALID when Frontegg refuses it. */
export async function exchangeApiToken(
  send: FronteggSend,
  appUrl: string,
  clientId: string,
  secret: string,
  signal: AbortSignal,
): Promise<string> {
  const answer = await send({
    operation: 'token',
    method: 'POST',
    url: `${appUrl}${API_TOKEN_EXCHANGE_PATH}`,
    json: { clientId, secret },
    signal,
    // Frontegg answers a wrong or deleted pair with 401 (400/404 for malformed ids).
    passStatuses: [400, 401, 403, 404],
  });
  if (answer.status >= 400) {
    throw new PortcullisError(
      'ERR_CLIENT_CREDENTIALS_INVALID',
      'the client id or secret was not accepted',
    );
  }
  const token = (answer.body as { access_token?: unknown } | null)?.access_token;
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_CHARS) {
    throw new PortcullisError(
      'ERR_IDP_RESPONSE_INVALID',
      'Frontegg api-token exchange answered without an access_token',
      { details: { operation: 'token' } },
    );
  }
  return token;
}
