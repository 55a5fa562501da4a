/**
 * The environment's M2M settings: `GET {baseUrl}/identity/resources/configurations/v1` with the
 * vendor token (frontegg-wire.md §2, §8; Terraform's `frontegg_auth_policy` reads the same route).
 */
import { PortcullisError } from '../../errors.js';
import type { CredentialKind, PolicyObservation } from '../../types.js';
import type { VendorTokenClient } from './vendor-token.js';

export const CONFIGURATIONS_PATH = '/identity/resources/configurations/v1';

/** What one read of the configurations route yields. */
export interface FronteggConfigurations {
  readonly observation: PolicyObservation;
  /** PEM SPKI key Frontegg's SDKs verify with; our fallback when the JWKS cannot help. */
  readonly publicKey: string | undefined;
  /** Whether API-token JWTs carry `roles` / `permissions` (Frontegg's default: both true). */
  readonly jwtClaims: { readonly roles: boolean; readonly permissions: boolean };
}

const MAX_PEM_CHARS = 16_384;

/** Reads and maps the settings. Throws ERR_IDP_RESPONSE_INVALID when `apiTokensEnabled` is missing. */
export async function readConfigurations(
  vendor: VendorTokenClient,
  signal: AbortSignal,
  enforceStrategy = false,
): Promise<FronteggConfigurations> {
  const answer = await vendor.call({
    operation: 'policy',
    method: 'GET',
    path: CONFIGURATIONS_PATH,
    signal,
  });
  return mapConfigurations(answer.body, enforceStrategy);
}

const BOTH_KINDS: readonly CredentialKind[] = Object.freeze(['client_credentials', 'access_token']);

/**
 * Frontegg documents the strategy as deciding which kind of token can be CREATED, and its own SDK
 * verifies both kinds whatever the strategy (frontegg-api-facts.md "Vendor settings"): by default
 * both kinds are accepted while M2M is enabled. With `enforceStrategy`, `AccessToken` accepts only
 * access tokens and `ClientCredentials` (Frontegg's default) only client credentials.
 */
export function mapConfigurations(body: unknown, enforceStrategy = false): FronteggConfigurations {
  if (typeof body !== 'object' || body === null) throw invalid('is not an object');
  const settings = body as Record<string, unknown>;
  const enabled = settings['apiTokensEnabled'];
  if (typeof enabled !== 'boolean') throw invalid('has no boolean apiTokensEnabled');
  const strategy = settings['machineToMachineAuthStrategy'];
  const acceptedCredentials: readonly CredentialKind[] = !enforceStrategy
    ? BOTH_KINDS
    : strategy === 'AccessToken'
      ? ['access_token']
      : ['client_credentials'];
  const lifetime = settings['defaultTokenExpiration'];
  const publicKey = settings['publicKey'];
  return {
    observation: {
      enabled,
      acceptedCredentials,
      ...(typeof lifetime === 'number' && Number.isFinite(lifetime) && lifetime > 0
        ? { maxTokenLifetimeSec: lifetime }
        : {}),
    },
    jwtClaims: {
      roles: settings['addRolesToJwt'] !== false,
      permissions: settings['addPermissionsToJwt'] !== false,
    },
    publicKey:
      typeof publicKey === 'string' &&
      publicKey.includes('BEGIN PUBLIC KEY') &&
      publicKey.length <= MAX_PEM_CHARS
        ? publicKey
        : undefined,
  };
}

function invalid(what: string): PortcullisError {
  return new PortcullisError('ERR_IDP_RESPONSE_INVALID', `Frontegg configurations answer ${what}`, {
    details: { operation: 'policy' },
  });
}
