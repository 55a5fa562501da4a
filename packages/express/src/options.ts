import { CREDENTIAL_KINDS, invalidOption } from '@portcullis/core';
import type { CredentialKind, OwnerKind, Requirements } from '@portcullis/core';

// Re-exported so the package's validators share core's message format.
export { invalidOption };

const OWNER_KINDS: readonly OwnerKind[] = ['tenant', 'user', 'client'];
const REQUIREMENT_KEYS = new Set([
  'permissions',
  'permissionsMode',
  'roles',
  'rolesMode',
  'scopes',
  'ownerKind',
  'tenantId',
  'tenantRequired',
]);

/** Throws ERR_INVALID_OPTION for any key not in `known`, so a typo cannot silently drop a check. */
export function rejectUnknownKeys(path: string, value: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) invalidOption(`${path}.${key}`, 'is not a known option');
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A realm ends up inside a quoted-string of `WWW-Authenticate`: printable ASCII without `"` or
 * `\` keeps the header unambiguous for every client parser.
 */
export function validateRealm(path: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,128}$/.test(value)) {
    invalidOption(path, 'must be 1-128 printable ASCII characters without quotes or backslashes');
  }
  return value;
}

export function validateBoolean(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') invalidOption(path, 'must be a boolean');
  return value;
}

/** A non-empty list of non-empty strings (permissions, roles, scopes). */
export function validateNameList(path: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) invalidOption(path, 'must be a non-empty array');
  value.forEach((item, index) => {
    if (typeof item !== 'string' || item.trim() === '') {
      invalidOption(`${path}[${index}]`, 'must be a non-empty string');
    }
  });
  return Object.freeze([...(value as string[])]);
}

export function validateOwnerKinds(path: string, value: unknown): readonly OwnerKind[] {
  const kinds = validateNameList(path, value);
  kinds.forEach((kind, index) => {
    if (!OWNER_KINDS.includes(kind as OwnerKind)) {
      invalidOption(`${path}[${index}]`, `must be one of ${OWNER_KINDS.join(', ')}`);
    }
  });
  return kinds as readonly OwnerKind[];
}

export function validateCredentialKinds(path: string, value: unknown): readonly CredentialKind[] {
  const kinds = validateNameList(path, value);
  kinds.forEach((kind, index) => {
    if (!CREDENTIAL_KINDS.includes(kind as CredentialKind)) {
      invalidOption(`${path}[${index}]`, `must be one of ${CREDENTIAL_KINDS.join(', ')}`);
    }
  });
  return kinds as readonly CredentialKind[];
}

function validateMode(path: string, value: unknown): 'all' | 'any' {
  if (value !== 'all' && value !== 'any') invalidOption(path, "must be 'all' or 'any'");
  return value;
}

/** Validates route requirements given as an option; unknown keys are refused (a typo would grant). */
export function validateRequirements(path: string, value: unknown): Requirements {
  if (!isPlainObject(value)) invalidOption(path, 'must be an object');
  rejectUnknownKeys(path, value, REQUIREMENT_KEYS);
  const {
    permissions,
    permissionsMode,
    roles,
    rolesMode,
    scopes,
    ownerKind,
    tenantId,
    tenantRequired,
  } = value;
  if (permissions !== undefined) validateNameList(`${path}.permissions`, permissions);
  if (permissionsMode !== undefined) validateMode(`${path}.permissionsMode`, permissionsMode);
  if (roles !== undefined) validateNameList(`${path}.roles`, roles);
  if (rolesMode !== undefined) validateMode(`${path}.rolesMode`, rolesMode);
  if (scopes !== undefined) validateNameList(`${path}.scopes`, scopes);
  if (ownerKind !== undefined) {
    validateOwnerKinds(`${path}.ownerKind`, Array.isArray(ownerKind) ? ownerKind : [ownerKind]);
  }
  if (tenantId !== undefined && tenantId !== null && typeof tenantId !== 'string') {
    invalidOption(`${path}.tenantId`, 'must be a string');
  }
  if (tenantRequired !== undefined) validateBoolean(`${path}.tenantRequired`, tenantRequired);
  return Object.freeze({ ...value });
}
