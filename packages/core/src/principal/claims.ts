/**
 * Claims (a verified JWT payload or an introspection answer) → the frozen `Principal` of docs/design.md §4.
 * Claim names are exact top-level names (URL-style names like `https://example.com/tenant` work);
 * there is no dotted-path lookup.
 */
import { PortcullisError, invalidOption } from '../errors.js';
import type { CredentialKind, OwnerKind, Principal } from '../types.js';

/** Which claim holds which principal field. Every member is optional; defaults in brackets. */
export interface ClaimNames {
  /** [`sub`] Falls back to the client id when absent. */
  readonly subject?: string;
  /** [`client_id`, `azp`, `cid`] The first present one wins. */
  readonly clientId?: string | readonly string[];
  /** [`jti`] */
  readonly tokenId?: string;
  /** [none] e.g. `tenantId`, `tenant_id`, `org_id`. */
  readonly tenantId?: string;
  /** [none] Only personal (user-owned) tokens should carry it. */
  readonly userId?: string;
  /** [none] */
  readonly createdByUserId?: string;
  /** [`permissions`] An array of strings or a space-separated string. */
  readonly permissions?: string;
  /** [`roles`] An array of strings or a space-separated string. */
  readonly roles?: string;
  /** [`scope`, `scp`] Space-separated string (RFC 8693 `scope`) or array (`scp`); all are merged. */
  readonly scope?: string | readonly string[];
}

export interface MapClaimsOptions {
  /** How the credential arrived / what it is (see `credentialKindFromClaims`). */
  readonly credential: CredentialKind;
  readonly claimNames?: ClaimNames;
  /**
   * Owner of the credential. Default: `user` when a user id was mapped, else `tenant` when a
   * tenant id was mapped, else `client` (a plain OAuth client).
   */
  readonly ownerKind?: OwnerKind | ((claims: Readonly<Record<string, unknown>>) => OwnerKind);
  /** Client id to use when the claims carry none (e.g. the id that authenticated with Basic). */
  readonly clientId?: string;
}

const DEFAULT_CLIENT_ID_CLAIMS: readonly string[] = ['client_id', 'azp', 'cid'];
const DEFAULT_SCOPE_CLAIMS: readonly string[] = ['scope', 'scp'];
const OWNER_KINDS: ReadonlySet<string> = new Set(['tenant', 'user', 'client']);

/**
 * The credential kind a token's own claims declare: `client_credentials` when `grant_type` or
 * `gty` says `client_credentials` (Auth0 writes `client-credentials`), else `access_token`.
 */
export function credentialKindFromClaims(
  claims: Readonly<Record<string, unknown>>,
): CredentialKind {
  const grant = claims['grant_type'] ?? claims['gty'];
  return grant === 'client_credentials' || grant === 'client-credentials'
    ? 'client_credentials'
    : 'access_token';
}

/** Validate claim names at construction (`ERR_INVALID_OPTION` naming `<path>.<field>`). */
export function checkClaimNames(path: string, names: unknown): ClaimNames | undefined {
  if (names === undefined) return undefined;
  if (names === null || typeof names !== 'object') invalidOption(path, 'must be an object');
  for (const [field, value] of Object.entries(names)) {
    const listAllowed = field === 'clientId' || field === 'scope';
    const ok =
      (typeof value === 'string' && value.length > 0) ||
      (listAllowed &&
        Array.isArray(value) &&
        value.length > 0 &&
        value.every((item) => typeof item === 'string' && item.length > 0));
    if (value !== undefined && !ok) invalidOption(`${path}.${field}`, 'must be a claim name');
  }
  return names;
}

/**
 * Map claims to a frozen principal. Throws `ERR_TOKEN_CLAIM_INVALID` (naming the claim) when
 * there is neither a subject nor a client id, or a mapped id claim is not a string.
 */
export function mapClaimsToPrincipal(
  claims: Readonly<Record<string, unknown>>,
  options: MapClaimsOptions,
): Principal {
  const names = options.claimNames ?? {};
  const clientId =
    firstString(claims, asList(names.clientId) ?? DEFAULT_CLIENT_ID_CLAIMS) ?? options.clientId;
  const subject = optionalString(claims, names.subject ?? 'sub') ?? clientId;
  if (subject === undefined) {
    throw new PortcullisError(
      'ERR_TOKEN_CLAIM_INVALID',
      `token claim "${names.subject ?? 'sub'}" is required but missing`,
      {
        details: { claim: names.subject ?? 'sub' },
      },
    );
  }
  const tenantId =
    names.tenantId === undefined ? undefined : optionalString(claims, names.tenantId);
  const userId = names.userId === undefined ? undefined : optionalString(claims, names.userId);
  const createdByUserId =
    names.createdByUserId === undefined ? undefined : optionalString(claims, names.createdByUserId);
  const frozenClaims = deepFreeze(structuredClone({ ...claims }));
  const ownerKind = resolveOwnerKind(options.ownerKind, frozenClaims, userId, tenantId);
  const issuer = typeof claims['iss'] === 'string' ? claims['iss'] : undefined;
  const principal: Principal = {
    subject,
    ...(clientId === undefined ? {} : { clientId }),
    ...optionalField('tokenId', optionalString(claims, names.tokenId ?? 'jti')),
    ...optionalField('tenantId', tenantId),
    ...optionalField('userId', userId),
    ...optionalField('createdByUserId', createdByUserId),
    ownerKind,
    credential: options.credential,
    permissions: stringSet(claims[names.permissions ?? 'permissions']),
    roles: stringSet(claims[names.roles ?? 'roles']),
    scopes: Object.freeze([
      ...new Set(
        (asList(names.scope) ?? DEFAULT_SCOPE_CLAIMS).flatMap((name) => stringSet(claims[name])),
      ),
    ]),
    ...optionalField('issuer', issuer),
    ...optionalField('issuedAt', numericDate(claims['iat'])),
    ...optionalField('expiresAt', numericDate(claims['exp'])),
    claims: frozenClaims,
  };
  return Object.freeze(principal);
}

function resolveOwnerKind(
  option: MapClaimsOptions['ownerKind'],
  claims: Readonly<Record<string, unknown>>,
  userId: string | undefined,
  tenantId: string | undefined,
): OwnerKind {
  const chosen = typeof option === 'function' ? option(claims) : option;
  if (chosen !== undefined) {
    if (!OWNER_KINDS.has(chosen)) {
      throw new PortcullisError(
        'ERR_TOKEN_CLAIM_INVALID',
        'token owner kind could not be determined',
        {
          details: { claim: 'ownerKind' },
        },
      );
    }
    return chosen;
  }
  if (userId !== undefined) return 'user';
  if (tenantId !== undefined) return 'tenant';
  return 'client';
}

function optionalField<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function asList(value: string | readonly string[] | undefined): readonly string[] | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? [value] : value;
}

function optionalString(
  claims: Readonly<Record<string, unknown>>,
  name: string,
): string | undefined {
  const value = claims[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new PortcullisError('ERR_TOKEN_CLAIM_INVALID', `token claim "${name}" must be a string`, {
    details: { claim: name },
  });
}

function firstString(
  claims: Readonly<Record<string, unknown>>,
  names: readonly string[],
): string | undefined {
  for (const name of names) {
    const value = optionalString(claims, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

function stringSet(value: unknown): readonly string[] {
  const items =
    typeof value === 'string'
      ? value.split(/\s+/)
      : Array.isArray(value)
        ? value.filter((item): item is string => typeof item === 'string')
        : [];
  return Object.freeze([...new Set(items.filter((item) => item.length > 0))]);
}

function numericDate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}
