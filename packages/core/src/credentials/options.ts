/** Options of credential extraction, validated once at construction (never on the request path). */
import { invalidOption } from '../errors.js';

/** How `extractCredential` reads a request. Build it with `normalizeExtractOptions`. */
export interface ExtractOptions {
  /** Lower-case name of the API-key header. Default `'x-api-key'` (Frontegg's). */
  readonly apiKeyHeader: string;
  /**
   * Largest accepted credential header value, in bytes (UTF-8). Larger values are refused with
   * `ERR_CREDENTIAL_TOO_LARGE` before any parsing. Default 8192; at most 1 MiB.
   */
  readonly maxCredentialBytes: number;
}

export const DEFAULT_API_KEY_HEADER = 'x-api-key';
export const DEFAULT_MAX_CREDENTIAL_BYTES = 8192;
const MAX_CREDENTIAL_BYTES_LIMIT = 1024 * 1024;

// RFC 9110 §5.1 field-name = token.
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Validates and completes extraction options (defaults: `apiKeyHeader` `'x-api-key'`,
 * `maxCredentialBytes` 8192). Throws `ERR_INVALID_OPTION` naming `credentials.<option>`.
 */
export function normalizeExtractOptions(partial: Partial<ExtractOptions> = {}): ExtractOptions {
  if (typeof partial !== 'object' || partial === null) {
    invalidOption('credentials', 'must be an object');
  }
  const apiKeyHeader = partial.apiKeyHeader ?? DEFAULT_API_KEY_HEADER;
  if (typeof apiKeyHeader !== 'string' || !HEADER_TOKEN.test(apiKeyHeader)) {
    invalidOption('credentials.apiKeyHeader', 'must be a header name (RFC 9110 token)');
  }
  const header = apiKeyHeader.toLowerCase();
  if (header === 'authorization') {
    invalidOption('credentials.apiKeyHeader', 'must not be authorization');
  }
  const maxCredentialBytes = partial.maxCredentialBytes ?? DEFAULT_MAX_CREDENTIAL_BYTES;
  if (
    typeof maxCredentialBytes !== 'number' ||
    !Number.isInteger(maxCredentialBytes) ||
    maxCredentialBytes <= 0 ||
    maxCredentialBytes > MAX_CREDENTIAL_BYTES_LIMIT
  ) {
    invalidOption('credentials.maxCredentialBytes', 'must be an integer from 1 to 1048576 (bytes)');
  }
  return Object.freeze({ apiKeyHeader: header, maxCredentialBytes });
}
