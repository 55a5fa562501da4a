/**
 * The shapes every Portcullis surface shares: credentials, principals, selectors, policy.
 * Everything here is plain data so it can cross process boundaries (Redis, identity headers).
 */

/** What a verified credential is, independent of the header it arrived in (docs/design.md §1). */
export type CredentialKind = 'client_credentials' | 'access_token';

/** Every credential kind, in a stable order. */
export const CREDENTIAL_KINDS: readonly CredentialKind[] = Object.freeze([
  'client_credentials',
  'access_token',
]);

/** Who owns the credential: a tenant (account-level token), a user (personal token) or a bare OAuth client. */
export type OwnerKind = 'tenant' | 'user' | 'client';

/** Header values as Node (`IncomingHttpHeaders`) or the Fetch API (`Headers`) give them. */
export type HeadersLike =
  | { readonly [name: string]: string | readonly string[] | undefined }
  | { get(name: string): string | null };

/**
 * The framework-free view of an incoming request that core needs.
 * `rawHeaders` (Node's `req.rawHeaders`) lets the extractor see duplicated `Authorization`
 * headers, which Node's parsed `headers` object silently drops.
 */
export interface RequestLike {
  readonly headers: HeadersLike;
  /** Request target (path and query), e.g. `/orders?page=2`; used to refuse `access_token` in the query. */
  readonly url?: string | undefined;
  readonly rawHeaders?: readonly string[] | undefined;
  /** An already-parsed form body (Express); an `access_token` field is refused. */
  readonly body?: unknown;
}

/** A credential as extracted from the request, before any verification. */
export type ExtractedCredential =
  | { readonly form: 'basic'; readonly clientId: string; readonly secret: string }
  | { readonly form: 'bearer'; readonly token: string }
  | { readonly form: 'api-key'; readonly token: string; readonly header: string };

export type CredentialForm = ExtractedCredential['form'];

/** The verified identity of a machine (docs/design.md §4). Frozen; never mutate. */
export interface Principal {
  readonly subject: string;
  readonly clientId?: string;
  readonly tokenId?: string;
  readonly tenantId?: string;
  /** Only set for personal (user-owned) tokens. */
  readonly userId?: string;
  /** The user who created a tenant token; not its owner. */
  readonly createdByUserId?: string;
  readonly ownerKind: OwnerKind;
  readonly credential: CredentialKind;
  readonly permissions: readonly string[];
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly issuer?: string;
  /** Seconds since the epoch (`iat`). */
  readonly issuedAt?: number;
  /** Seconds since the epoch (`exp`). */
  readonly expiresAt?: number;
  /**
   * Where `roles` and `permissions` came from: the token's own claims, or a read at the identity
   * provider (Frontegg access tokens; Frontegg API tokens whose JWT carries none). Unset: the token.
   */
  readonly grantsSource?: 'token' | 'idp';
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Which cached answers or credentials an invalidation or revocation targets (docs/design.md §5). */
export type Selector = { readonly all: true } | SelectorFields;

/** Fields combine: `{userId, tenantId}` matches only principals with both. At least one is set. */
export interface SelectorFields {
  readonly tenantId?: string | undefined;
  readonly userId?: string | undefined;
  readonly clientId?: string | undefined;
  readonly tokenId?: string | undefined;
  readonly credential?: CredentialKind | undefined;
}

/**
 * A recorded revocation, checked on every request.
 * `kind: 'lock'` is an unconditional `{userId}` tombstone that lasts until unlocked.
 */
export interface Tombstone {
  readonly kind: 'revoke' | 'lock';
  readonly selector: Selector;
  /** Epoch milliseconds when the revocation was made. */
  readonly revokedAt: number;
  /** Epoch milliseconds after which the tombstone is forgotten. */
  readonly expiresAt: number;
}

/**
 * A deletion watch: after a deletion that named no token, the tenant's client credentials are
 * checked against the IdP's token list (once per watch and principal) until `expiresAt`.
 */
export interface TenantWatch {
  readonly tenantId: string;
  /** Epoch milliseconds of the deletion: lists read before it may still show the deleted token. */
  readonly startedAt: number;
  /** Epoch milliseconds after which the watch is forgotten. */
  readonly expiresAt: number;
}

/** Newest observation wins across replicas: compare `at`, then `origin`. */
export interface PolicyVersion {
  /** Epoch milliseconds of the observation. */
  readonly at: number;
  /** Id of the replica (or source) that made the observation. */
  readonly origin: string;
}

/** The vendor's M2M settings as Portcullis enforces them (docs/design.md §1). */
export interface PolicyState {
  /** `undefined` until the first read succeeds: no M2M credential is accepted then. */
  readonly enabled: boolean | undefined;
  readonly acceptedCredentials: readonly CredentialKind[];
  readonly version: PolicyVersion;
}

/** What a source (the IdP's settings route, an event) says about the policy. */
export interface PolicyObservation {
  readonly enabled?: boolean;
  readonly acceptedCredentials?: readonly CredentialKind[];
  /** The IdP's longest JWT lifetime in seconds (Frontegg `defaultTokenExpiration`): floor of `revocationTtlMs`. */
  readonly maxTokenLifetimeSec?: number;
}

/** Route requirements checked against a principal on every request (cache hits included). */
export interface Requirements {
  readonly permissions?: readonly string[];
  /** How `permissions` combine; default `all`. */
  readonly permissionsMode?: 'all' | 'any';
  readonly roles?: readonly string[];
  readonly rolesMode?: 'all' | 'any';
  readonly scopes?: readonly string[];
  readonly ownerKind?: OwnerKind | readonly OwnerKind[];
  /** The tenant the route names; the principal's `tenantId` must equal it. Missing on either side denies. */
  readonly tenantId?: string | null;
  /** Set to true when the route binds a tenant but could not find one (e.g. header absent): denies. */
  readonly tenantRequired?: boolean;
}

/** One component's health. */
export interface ComponentHealth {
  readonly status: 'ok' | 'starting' | 'degraded' | 'down';
  readonly detail?: string;
}

/** `ready` gates traffic (readiness probe); `degraded` is informational (docs/design.md §7). */
export interface HealthReport {
  readonly ready: boolean;
  readonly degraded: boolean;
  readonly reasons: readonly string[];
  readonly components: Readonly<Record<string, ComponentHealth>>;
}

/** A structured logger; pino's shape. Messages never contain secrets. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
