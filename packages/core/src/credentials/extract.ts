/**
 * Finds the one credential of a request (docs/design.md §3): `Authorization: Basic|Bearer` or the API-key
 * header. Everything else about the request shape is refused here, before any IdP work.
 */
import { isPortcullisError, PortcullisError } from '../errors.js';
import type { ExtractedCredential, RequestLike } from '../types.js';
import { countRawHeader, readHeader } from './headers.js';
import type { ExtractOptions } from './options.js';
import { trimOws } from './ows.js';
import { parseAuthorization } from './parse-authorization.js';

export type { ExtractOptions } from './options.js';

// Visible ASCII except the characters that would make a header list or a quoted string ambiguous.
const API_KEY = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+$/;
// One element of a comma-joined list that itself looks like `scheme credentials`.
const LOOKS_LIKE_CREDENTIALS = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ +\S/;

/**
 * Extracts exactly one credential from a request.
 *
 * Order of checks: `access_token` in the query string or an already-parsed body
 * (`ERR_TOKEN_IN_QUERY`), size of every candidate value (`ERR_CREDENTIAL_TOO_LARGE`, before any
 * parsing), count (`ERR_MULTIPLE_CREDENTIALS` for two or more, counting duplicated headers seen in
 * `rawHeaders`, array values and comma-joined values; `ERR_NO_CREDENTIAL` for none), then syntax
 * (`ERR_MALFORMED_CREDENTIAL`). Bearer and Basic follow RFC 6750 / RFC 7617; the scheme is
 * case-insensitive and surrounding whitespace is ignored.
 *
 * Never throws anything but a `PortcullisError`, whatever the input.
 *
 * @param options from `normalizeExtractOptions` (not re-validated here: this is the hot path).
 */
export function extractCredential(
  request: RequestLike,
  options: ExtractOptions,
): ExtractedCredential {
  try {
    return extract(request, options);
  } catch (error) {
    if (isPortcullisError(error)) throw error;
    // A hostile or broken request object (throwing getters, proxies): fail closed, typed.
    throw new PortcullisError('ERR_MALFORMED_CREDENTIAL', 'request could not be read', {
      cause: error,
    });
  }
}

function extract(request: RequestLike, options: ExtractOptions): ExtractedCredential {
  refuseTokenOutsideHeaders(request);
  const headers = request.headers;
  const authorization = readHeader(headers, 'authorization');
  const apiKeys = readHeader(headers, options.apiKeyHeader);
  for (const value of [...authorization, ...apiKeys]) {
    if (typeof value === 'string' && exceeds(value, options.maxCredentialBytes)) {
      throw new PortcullisError(
        'ERR_CREDENTIAL_TOO_LARGE',
        `credential header is larger than ${options.maxCredentialBytes} bytes`,
      );
    }
  }
  // Node keeps only the first of duplicated Authorization headers in `headers`; rawHeaders has all.
  const authorizationCount = Math.max(
    authorization.length,
    countRawHeader(request.rawHeaders, 'authorization'),
  );
  const apiKeyCount = Math.max(
    apiKeys.length,
    countRawHeader(request.rawHeaders, options.apiKeyHeader),
  );
  if (authorizationCount + apiKeyCount > 1) throw multiple();
  if (authorizationCount + apiKeyCount === 0) {
    throw new PortcullisError('ERR_NO_CREDENTIAL', 'no credential was presented');
  }
  const [value] = authorization.length === 1 ? authorization : apiKeys;
  if (typeof value !== 'string') {
    throw new PortcullisError('ERR_MALFORMED_CREDENTIAL', 'credential header is not a string');
  }
  // Fetch `Headers` (and Node, for most names) join repeated headers with ", ".
  if (value.includes(',')) {
    const parts = value.split(',').map(trimOws);
    const joined =
      authorization.length === 1
        ? parts.filter((part) => LOOKS_LIKE_CREDENTIALS.test(part)).length > 1
        : parts.filter((part) => part.length > 0).length > 1;
    if (joined) throw multiple();
  }
  if (authorization.length === 1) return parseAuthorization(value);
  return parseApiKey(value, options.apiKeyHeader);
}

function parseApiKey(value: string, header: string): ExtractedCredential {
  const token = trimOws(value);
  if (!API_KEY.test(token)) {
    throw new PortcullisError(
      'ERR_MALFORMED_CREDENTIAL',
      `${header} header must be one printable ASCII token`,
    );
  }
  return { form: 'api-key', token, header };
}

/** RFC 6750 §2.2/§2.3 allow these; they leak into logs and caches, so Portcullis refuses them. */
function refuseTokenOutsideHeaders(request: RequestLike): void {
  const url = request.url;
  if (typeof url === 'string') {
    const start = url.indexOf('?');
    if (start >= 0) {
      const end = url.indexOf('#', start);
      const query = url.slice(start + 1, end < 0 ? undefined : end);
      if (new URLSearchParams(query).has('access_token')) {
        throw new PortcullisError(
          'ERR_TOKEN_IN_QUERY',
          'access_token must not be sent in the query string; use the Authorization header',
        );
      }
    }
  }
  const body = request.body;
  if (typeof body === 'object' && body !== null && Object.hasOwn(body, 'access_token')) {
    throw new PortcullisError(
      'ERR_TOKEN_IN_QUERY',
      'access_token must not be sent in the request body; use the Authorization header',
    );
  }
}

function exceeds(value: string, maxBytes: number): boolean {
  // UTF-8 never needs fewer bytes than UTF-16 code units, so long strings are refused unmeasured.
  return value.length > maxBytes || Buffer.byteLength(value, 'utf8') > maxBytes;
}

function multiple(): PortcullisError {
  return new PortcullisError(
    'ERR_MULTIPLE_CREDENTIALS',
    'more than one credential was presented; send exactly one',
  );
}
