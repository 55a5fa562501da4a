/**
 * Options of the `frontegg` preset, validated once at construction (docs/design.md §3).
 * Frontegg splits its origins: the API gateway (`baseUrl`: vendor auth, configurations,
 * vendor-only routes, management routes) and the app domain (`appUrl`: JWKS, token `iss`, the
 * API-token exchange). Both are required: with the gateway alone no real token verifies
 * (frontegg-api-facts.md "Domains"). The emulator serves both on one origin.
 */
import { invalidOption } from '../../errors.js';

/** Options of {@link frontegg}. Durations are in the unit their name says. */
export interface FronteggProviderOptions {
  /** API gateway origin, e.g. `https://api.frontegg.com` (or a regional host). http(s) only. */
  readonly baseUrl: string;
  /**
   * The environment's app domain, e.g. `https://app-xyz.frontegg.com` or your custom domain
   * (Frontegg portal → Keys & domains). Required: tokens name it in `iss`, and the JWKS and the
   * API-token exchange live there. A vendor API host (`api.frontegg.com`, `api.<region>.frontegg.com`)
   * is refused: it belongs in `baseUrl`.
   */
  readonly appUrl: string;
  /** Vendor client id (Frontegg portal → Keys & domains). */
  readonly clientId: string;
  /** Vendor API key, sent only to `POST {baseUrl}/auth/vendor`. */
  readonly apiKey: string;
  /**
   * Accepted `aud` values: the environment's client ID and/or its app ID (Frontegg documents
   * either). Default: `[clientId]`, the vendor client ID.
   */
  readonly audience?: string | readonly string[];
  /** Expected `iss`. Default: `appUrl`. */
  readonly issuer?: string;
  /**
   * Refuse the credential kind the environment's `machineToMachineAuthStrategy` does not create
   * (`ClientCredentials` → access tokens refused, `AccessToken` → API tokens refused). Default
   * `false`: Frontegg's strategy decides what can be created, and its own SDK verifies both kinds
   * whatever the strategy (frontegg-api-facts.md "Vendor settings").
   */
  readonly enforceStrategy?: boolean;
  /** Accept `userToken` (a logged-in user's session JWT) as a credential. Default `false`. */
  readonly allowUserTokens?: boolean;
  /** JWS algorithms accepted. Default `['RS256']` (Frontegg signs RS256; HS* is never accepted). */
  readonly algorithms?: readonly string[];
  /** How long the environment-wide active access-token list is reused, in ms. Default 10000. */
  readonly activeListTtlMs?: number;
  /** Most ids kept from one active list; past it each token is checked by id alone. Default 100000. */
  readonly activeListMax?: number;
  /** Refresh the vendor token after this share of its life. Default 0.8 (as Frontegg's SDKs). */
  readonly vendorTokenRefreshRatio?: number;
  /** Secrets of the Frontegg webhooks (several while rotating). No secret → every delivery is 401. */
  readonly webhookSecrets?: readonly string[];
  /** Oldest `iat` accepted in `x-webhook-secret`, in seconds. Default 300. */
  readonly maxWebhookAgeSec?: number;
  /** Source addresses allowed to deliver Frontegg webhooks (exact IPs). Default: any. */
  readonly webhookAllowedSources?: readonly string[];
  /** Largest webhook body accepted, in bytes. Default 65536. */
  readonly webhookMaxBodyBytes?: number;
  /**
   * How long a tenant stays watched after an API-token deletion whose payload named no client id,
   * in ms. Default 24 h, raised to the environment's `defaultTokenExpiration` when that is longer.
   */
  readonly deletionWatchTtlMs?: number;
  /** Least time between two reads of a watched tenant's API-token list, in ms. Default 5000. */
  readonly deletionWatchRefreshMs?: number;
  /** Most tenants watched at once (oldest dropped with an error log). Default 1000. */
  readonly deletionWatchMaxTenants?: number;
}

/** The options after validation and defaults. */
export interface ResolvedFronteggOptions {
  readonly baseUrl: string;
  readonly appUrl: string;
  readonly clientId: string;
  readonly apiKey: string;
  readonly audience: readonly string[];
  readonly issuer: string;
  readonly enforceStrategy: boolean;
  readonly allowUserTokens: boolean;
  readonly algorithms: readonly string[];
  readonly activeListTtlMs: number;
  readonly activeListMax: number;
  readonly vendorTokenRefreshRatio: number;
  readonly webhookSecrets: readonly string[];
  readonly maxWebhookAgeSec: number;
  readonly webhookAllowedSources: readonly string[] | undefined;
  readonly webhookMaxBodyBytes: number;
  readonly deletionWatchTtlMs: number;
  readonly deletionWatchRefreshMs: number;
  readonly deletionWatchMaxTenants: number;
}

const SYMMETRIC_ALG = /^HS/i;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Validates every field (each bad one is named) and applies defaults. */
export function resolveFronteggOptions(options: FronteggProviderOptions): ResolvedFronteggOptions {
  if (typeof options !== 'object' || options === null)
    invalidOption('frontegg', 'must be an object');
  const baseUrl = origin('frontegg.baseUrl', options.baseUrl);
  if (options.appUrl === undefined) {
    invalidOption(
      'frontegg.appUrl',
      "is required: the environment's app domain (Frontegg portal → Keys & domains), where tokens are issued; frontegg.baseUrl is the vendor API",
    );
  }
  const appUrl = origin('frontegg.appUrl', options.appUrl);
  if (isVendorApiHost(appUrl)) {
    invalidOption(
      'frontegg.appUrl',
      `must be the environment's app domain, not the vendor API host ${new URL(appUrl).host} (that one is frontegg.baseUrl)`,
    );
  }
  const clientId = nonEmpty('frontegg.clientId', options.clientId);
  const issuer =
    options.issuer === undefined ? appUrl : nonEmpty('frontegg.issuer', options.issuer);
  const algorithms = options.algorithms ?? ['RS256'];
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    invalidOption('frontegg.algorithms', 'must be a non-empty array');
  }
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || alg === '' || alg.toLowerCase() === 'none') {
      invalidOption('frontegg.algorithms', 'must name JWS algorithms');
    }
    if (SYMMETRIC_ALG.test(alg)) {
      invalidOption(
        'frontegg.algorithms',
        `must not contain ${alg}: Frontegg keys are public keys`,
      );
    }
  }
  return Object.freeze({
    baseUrl,
    appUrl,
    clientId,
    apiKey: nonEmpty('frontegg.apiKey', options.apiKey),
    audience: audience(options.audience) ?? Object.freeze([clientId]),
    issuer,
    enforceStrategy: bool('frontegg.enforceStrategy', options.enforceStrategy, false),
    allowUserTokens: bool('frontegg.allowUserTokens', options.allowUserTokens, false),
    algorithms: Object.freeze([...algorithms]),
    activeListTtlMs: int('frontegg.activeListTtlMs', options.activeListTtlMs, 10_000, 0),
    activeListMax: int('frontegg.activeListMax', options.activeListMax, 100_000, 1),
    vendorTokenRefreshRatio: ratio(options.vendorTokenRefreshRatio),
    webhookSecrets: strings('frontegg.webhookSecrets', options.webhookSecrets) ?? [],
    maxWebhookAgeSec: int('frontegg.maxWebhookAgeSec', options.maxWebhookAgeSec, 300, 1),
    webhookAllowedSources: strings('frontegg.webhookAllowedSources', options.webhookAllowedSources),
    webhookMaxBodyBytes: int(
      'frontegg.webhookMaxBodyBytes',
      options.webhookMaxBodyBytes,
      65_536,
      1,
    ),
    deletionWatchTtlMs: int('frontegg.deletionWatchTtlMs', options.deletionWatchTtlMs, DAY_MS, 1),
    deletionWatchRefreshMs: int(
      'frontegg.deletionWatchRefreshMs',
      options.deletionWatchRefreshMs,
      5_000,
      0,
    ),
    deletionWatchMaxTenants: int(
      'frontegg.deletionWatchMaxTenants',
      options.deletionWatchMaxTenants,
      1_000,
      1,
    ),
  });
}

/** Frontegg's vendor API gateway: `api.frontegg.com` and its regional `api.<region>.frontegg.com`. */
const VENDOR_API_HOST = /^api(\.[a-z0-9-]+)?\.frontegg\.com$/i;

export function isVendorApiHost(url: string): boolean {
  return VENDOR_API_HOST.test(new URL(url).hostname);
}

/** An http(s) origin (optionally with a path prefix), returned without a trailing slash. */
function origin(path: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') invalidOption(path, 'must be a URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return invalidOption(path, 'must be a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    invalidOption(path, 'must use http or https');
  }
  if (url.username !== '' || url.password !== '') invalidOption(path, 'must not carry credentials');
  if (url.search !== '' || url.hash !== '')
    invalidOption(path, 'must not have a query or fragment');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function nonEmpty(path: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    invalidOption(path, 'must be a non-empty string');
  return value;
}

function bool(path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalidOption(path, 'must be a boolean');
  return value;
}

function int(path: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    invalidOption(path, `must be an integer >= ${min}`);
  }
  return value;
}

function ratio(value: unknown): number {
  if (value === undefined) return 0.8;
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    invalidOption('frontegg.vendorTokenRefreshRatio', 'must be a number between 0 and 1');
  }
  return value;
}

function strings(path: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) invalidOption(path, 'must be an array of non-empty strings');
  for (const item of value) {
    if (typeof item !== 'string' || item === '')
      invalidOption(path, 'must contain non-empty strings');
  }
  return Object.freeze([...(value as string[])]);
}

function audience(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return Object.freeze([nonEmpty('frontegg.audience', value)]);
  const list = strings('frontegg.audience', value);
  if (list?.length === 0) invalidOption('frontegg.audience', 'must not be empty');
  return list;
}
