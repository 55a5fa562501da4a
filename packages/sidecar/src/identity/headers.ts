/**
 * Identity headers to the upstream (docs/design.md §7) and the removal of every inbound header that could
 * pass for one of them. Names compare case-insensitively with `_` treated as `-`, because some
 * servers and frameworks fold `X_Portcullis_Subject` into `x-portcullis-subject`
 * (oauth2-proxy CVE-2025-64484).
 */
import type { Principal } from '@portcullis/core';

/** Lower-case, `_` → `-`: the form in which two header names are "the same" to someone. */
export function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

// A value is sent raw only when it is visible ASCII without ',' (the list separator) and '%'
// (so a raw value can never be mistaken for an encoded one).
const SAFE_VALUE = /^[\x21-\x24\x26-\x2b\x2d-\x7e]*$/;

/** Percent-encode (RFC 3986) a value unless it is plainly safe to send raw. */
export function encodeHeaderValue(value: string): string {
  return SAFE_VALUE.test(value) ? value : encodeURIComponent(value);
}

/** The identity header suffixes, in the order they are written. */
export const IDENTITY_FIELDS = [
  'subject',
  'tenant-id',
  'user-id',
  'client-id',
  'owner-kind',
  'credential',
  'permissions',
  'roles',
  'scopes',
] as const;

/** `{ 'x-portcullis-subject': 'abc', ... }` for a principal; absent fields are omitted. */
export function identityHeaders(principal: Principal, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  const single = (field: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') out[`${prefix}${field}`] = encodeHeaderValue(value);
  };
  const list = (field: string, values: readonly string[]): void => {
    if (values.length > 0) out[`${prefix}${field}`] = values.map(encodeHeaderValue).join(',');
  };
  single('subject', principal.subject);
  single('tenant-id', principal.tenantId);
  single('user-id', principal.userId);
  single('client-id', principal.clientId);
  single('owner-kind', principal.ownerKind);
  single('credential', principal.credential);
  list('permissions', principal.permissions);
  list('roles', principal.roles);
  list('scopes', principal.scopes);
  return out;
}

/**
 * A predicate for inbound header names that must not reach the upstream: anything under the
 * identity prefix, plus `extra` names (e.g. `x-original-url`), in any case and `_` spelling.
 */
export function spoofableHeaderFilter(
  prefix: string,
  extra: readonly string[] = [],
): (name: string) => boolean {
  const canonicalPrefix = canonicalHeaderName(prefix);
  const exact = new Set(extra.map(canonicalHeaderName));
  return (name) => {
    const canonical = canonicalHeaderName(name);
    return canonical.startsWith(canonicalPrefix) || exact.has(canonical);
  };
}
