/**
 * OAuth 2.0 client authentication helpers for IdP calls (RFC 6749 §2.3.1).
 */

/** application/x-www-form-urlencoded encoding of one value, as RFC 6749 §2.3.1 asks for Basic. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * `Authorization` header value for `client_secret_basic`: both parts form-urlencoded, then
 * joined by a colon and base64-encoded (RFC 6749 §2.3.1, which differs from plain RFC 7617).
 */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}
