import { normalizeExtractOptions } from '@portcullis/core';
import type { ExtractOptions } from '@portcullis/core';
import { DEFAULT_REALM } from '../context.js';
import { invalidOption, isPlainObject, rejectUnknownKeys, validateRealm } from '../options.js';

/** Options shared by `M2MBearerStrategy` and `M2MBasicStrategy`. */
export interface M2MStrategyOptions {
  /** Realm named in `WWW-Authenticate` challenges. Default `'api'`. */
  readonly realm?: string;
  /**
   * The API-key header; give the authenticator's `credentials.apiKeyHeader`. Only used to decide
   * which strategy answers a request. Default `'x-api-key'`.
   */
  readonly apiKeyHeader?: string;
  /** The authenticator's `credentials.maxCredentialBytes`, in bytes. Default 8192. */
  readonly maxCredentialBytes?: number;
}

export interface StrategySettings extends ExtractOptions {
  readonly realm: string;
}

const KNOWN = new Set(['realm', 'apiKeyHeader', 'maxCredentialBytes']);

export function resolveStrategyOptions(name: string, options: unknown): StrategySettings {
  if (!isPlainObject(options)) invalidOption(name, 'options must be an object');
  rejectUnknownKeys(name, options, KNOWN);
  const { realm, apiKeyHeader, maxCredentialBytes } = options as M2MStrategyOptions;
  return {
    realm: realm === undefined ? DEFAULT_REALM : validateRealm(`${name}.realm`, realm),
    // Core's own validation, so the strategy reads requests exactly like the authenticator.
    ...normalizeExtractOptions({
      ...(apiKeyHeader === undefined ? {} : { apiKeyHeader }),
      ...(maxCredentialBytes === undefined ? {} : { maxCredentialBytes }),
    }),
  };
}
