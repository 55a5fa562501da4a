/**
 * Route requirements checked against a principal on every request, cache hits included
 * (docs/design.md §2 "cache the IdP's fact, authorize on every hit").
 */
import { invalidOption, PortcullisError } from './errors.js';
import type { OwnerKind, Principal, Requirements } from './types.js';

const OWNER_KINDS: readonly OwnerKind[] = ['tenant', 'user', 'client'];

/** What `authorize` found missing; the `details.missing` of its `ERR_INSUFFICIENT_SCOPE`. */
export interface MissingRequirements {
  /** With `permissionsMode: 'any'`: every listed permission (none was held). */
  readonly permissions?: readonly string[];
  readonly roles?: readonly string[];
  readonly scopes?: readonly string[];
  /** The owner kinds the route accepts. */
  readonly ownerKind?: readonly OwnerKind[];
  /** The tenant the route requires (`null` when the route could not name one). */
  readonly tenantId?: string | null;
}

/**
 * Checks `requirements` against `principal`; returns when every one holds.
 *
 * - `permissions` / `roles`: `all` (default) or `any` of the list, per `permissionsMode` / `rolesMode`.
 * - `scopes`: all of them.
 * - `ownerKind`: one kind or a list of accepted kinds.
 * - `tenantId`: the principal's `tenantId` must equal it; `null`, `''`, or a principal without a
 *   tenant denies. `tenantRequired: true` without a `tenantId` denies.
 *
 * Empty lists require nothing.
 *
 * @throws PortcullisError `ERR_INSUFFICIENT_SCOPE` (403) with `details.missing`
 *   (`MissingRequirements`) and, when scopes are missing, `details.requiredScopes`; the message
 *   names what is missing. `ERR_INVALID_OPTION` for a malformed requirements object.
 */
export function authorize(principal: Principal, requirements: Requirements): void {
  const missing: { -readonly [K in keyof MissingRequirements]: MissingRequirements[K] } = {};
  const problems: string[] = [];

  const permissions = lacking(
    principal.permissions,
    requirements.permissions,
    mode(requirements.permissionsMode, 'permissionsMode'),
  );
  if (permissions) {
    missing.permissions = permissions.names;
    problems.push(describe(permissions, 'permission(s)'));
  }
  const roles = lacking(
    principal.roles,
    requirements.roles,
    mode(requirements.rolesMode, 'rolesMode'),
  );
  if (roles) {
    missing.roles = roles.names;
    problems.push(describe(roles, 'role(s)'));
  }
  const scopes = lacking(principal.scopes, requirements.scopes, 'all');
  if (scopes) {
    missing.scopes = scopes.names;
    problems.push(describe(scopes, 'scope(s)'));
  }

  const ownerKinds = ownerKindList(requirements.ownerKind);
  if (ownerKinds && !ownerKinds.includes(principal.ownerKind)) {
    missing.ownerKind = ownerKinds;
    problems.push(`owner kind must be ${ownerKinds.join(' or ')}`);
  }

  const tenantProblem = checkTenant(principal, requirements);
  if (tenantProblem !== undefined) {
    missing.tenantId = requirements.tenantId || null;
    problems.push(tenantProblem);
  }

  if (problems.length === 0) return;
  throw new PortcullisError('ERR_INSUFFICIENT_SCOPE', problems.join('; '), {
    details: {
      missing: Object.freeze(missing),
      ...(scopes ? { requiredScopes: [...(requirements.scopes ?? [])] } : {}),
    },
  });
}

interface Lack {
  readonly names: readonly string[];
  readonly mode: 'all' | 'any';
}

function lacking(
  held: readonly string[],
  required: readonly string[] | undefined,
  how: 'all' | 'any',
): Lack | undefined {
  if (required === undefined || required.length === 0) return undefined;
  if (!Array.isArray(required)) invalidOption('requirements', 'lists must be arrays of strings');
  const have = new Set(held);
  if (how === 'any') {
    return required.some((name) => have.has(name))
      ? undefined
      : { names: [...required], mode: how };
  }
  const absent = required.filter((name) => !have.has(name));
  return absent.length === 0 ? undefined : { names: absent, mode: how };
}

function describe(lack: Lack, noun: string): string {
  const prefix = lack.mode === 'any' && lack.names.length > 1 ? 'missing any of ' : 'missing ';
  return `${prefix}${noun}: ${lack.names.join(', ')}`;
}

function mode(value: unknown, name: string): 'all' | 'any' {
  if (value === undefined || value === 'all') return 'all';
  if (value === 'any') return 'any';
  return invalidOption(`requirements.${name}`, "must be 'all' or 'any'");
}

function ownerKindList(value: Requirements['ownerKind']): readonly OwnerKind[] | undefined {
  if (value === undefined) return undefined;
  const list: readonly unknown[] = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((kind) => OWNER_KINDS.includes(kind as OwnerKind))
  ) {
    invalidOption('requirements.ownerKind', `must be one or more of ${OWNER_KINDS.join(', ')}`);
  }
  return list as readonly OwnerKind[];
}

/** Tenant ids are not secrets, but the message still names neither side: the route knows both. */
function checkTenant(principal: Principal, requirements: Requirements): string | undefined {
  const bound = Object.hasOwn(requirements, 'tenantId') && requirements.tenantId !== undefined;
  if (!bound) {
    return requirements.tenantRequired === true
      ? 'the route requires a tenant but none was given'
      : undefined;
  }
  const wanted = requirements.tenantId;
  if (typeof wanted !== 'string' || wanted.length === 0) {
    return 'the route requires a tenant but none was given';
  }
  if (typeof principal.tenantId !== 'string' || principal.tenantId.length === 0) {
    return 'the credential is not bound to a tenant';
  }
  return principal.tenantId === wanted ? undefined : 'the credential belongs to another tenant';
}
