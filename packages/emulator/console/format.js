/** Display and shell-quoting helpers. */

/** `2026-01-31 12:00 UTC`, `never` for null/undefined. */
export function formatDate(iso) {
  if (iso === null || iso === undefined || iso === '') return 'never';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** POSIX single-quoting: safe to paste into a shell whatever the value holds. */
export function shellQuote(value) {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/** The sidecar URL with one trailing slash, or undefined when it is not http(s). */
export function normalizedSidecarUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
  } catch {
    return undefined;
  }
}

/** A request through the demo sidecar with client credentials (HTTP Basic). */
export function curlWithClientCredentials(sidecarUrl, clientId, secret) {
  return `curl -i -u ${shellQuote(`${clientId}:${secret}`)} ${shellQuote(sidecarUrl)}`;
}

/** A request through the demo sidecar with an access token in `X-API-Key`. */
export function curlWithAccessToken(sidecarUrl, token) {
  return `curl -i -H ${shellQuote(`X-API-Key: ${token}`)} ${shellQuote(sidecarUrl)}`;
}
