/**
 * Validation of what comes back from the shared store or the bus (another replica, or whoever can
 * write to Redis): malformed tombstones or policy states are dropped, never half-applied.
 */
import { CREDENTIAL_KINDS } from '../types.js';
import type { SharedCacheEntry } from '../store.js';
import type { CredentialKind, PolicyState, Principal, TenantWatch, Tombstone } from '../types.js';
import { normalizeSelector } from '../revocation/selector.js';

export function parseTombstone(value: unknown): Tombstone | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const raw = value as Record<string, unknown>;
  if (raw.kind !== 'revoke' && raw.kind !== 'lock') return undefined;
  if (!isEpochMs(raw.revokedAt) || !isEpochMs(raw.expiresAt)) return undefined;
  let selector;
  try {
    selector = normalizeSelector(raw.selector);
  } catch {
    return undefined;
  }
  if (raw.kind === 'lock' && ('all' in selector || selector.userId === undefined)) return undefined;
  return Object.freeze({
    kind: raw.kind,
    selector,
    revokedAt: raw.revokedAt,
    expiresAt: raw.expiresAt,
  });
}

const MAX_TENANT_ID_CHARS = 1024;

export function parseWatch(value: unknown): TenantWatch | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const raw = value as Record<string, unknown>;
  const tenantId = raw.tenantId;
  if (typeof tenantId !== 'string' || tenantId === '' || tenantId.length > MAX_TENANT_ID_CHARS) {
    return undefined;
  }
  if (!isEpochMs(raw.startedAt) || !isEpochMs(raw.expiresAt)) return undefined;
  if (raw.expiresAt < raw.startedAt) return undefined;
  return Object.freeze({ tenantId, startedAt: raw.startedAt, expiresAt: raw.expiresAt });
}

export function parsePolicyState(value: unknown): PolicyState | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const raw = value as Record<string, unknown>;
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') return undefined;
  const kinds = raw.acceptedCredentials;
  if (
    !Array.isArray(kinds) ||
    !kinds.every((k) => CREDENTIAL_KINDS.includes(k as CredentialKind))
  ) {
    return undefined;
  }
  const version = raw.version as Record<string, unknown> | null | undefined;
  if (version === null || typeof version !== 'object') return undefined;
  if (!isEpochMs(version.at) || typeof version.origin !== 'string') return undefined;
  return Object.freeze({
    enabled: raw.enabled,
    acceptedCredentials: Object.freeze(CREDENTIAL_KINDS.filter((k) => kinds.includes(k))),
    version: Object.freeze({ at: version.at, origin: version.origin }),
  });
}

function isEpochMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * A shared-cache entry must look like what the authenticator writes; anything else is ignored
 * (the IdP is asked instead). Cheap structural checks only: this runs on local misses.
 */
export function isSharedCacheEntry(value: unknown): value is SharedCacheEntry {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.expiresAt === 'number' &&
    typeof entry.checkedOnline === 'boolean' &&
    isPrincipalLike(entry.principal)
  );
}

function isPrincipalLike(value: unknown): value is Principal {
  if (value === null || typeof value !== 'object') return false;
  const p = value as Record<string, unknown>;
  return (
    typeof p.subject === 'string' &&
    CREDENTIAL_KINDS.includes(p.credential as CredentialKind) &&
    (p.ownerKind === 'tenant' || p.ownerKind === 'user' || p.ownerKind === 'client') &&
    isStringList(p.permissions) &&
    isStringList(p.roles) &&
    isStringList(p.scopes) &&
    p.claims !== null &&
    typeof p.claims === 'object' &&
    optionalString(p.clientId) &&
    optionalString(p.tokenId) &&
    optionalString(p.tenantId) &&
    optionalString(p.userId) &&
    optionalNumber(p.issuedAt) &&
    optionalNumber(p.expiresAt)
  );
}

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

function optionalNumber(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isFinite(value));
}
