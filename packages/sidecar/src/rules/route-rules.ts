/**
 * Route rules: method + path pattern → public, deny, or requirements (with an optional tenant
 * binding). First match wins; the default applies when nothing matches.
 */
import type { OwnerKind, Requirements } from '@portcullis/core';
import type { PathPattern } from './pattern.js';

/** Where a rule takes the tenant id the principal must belong to. */
export type TenantBinding =
  | { readonly pathParam: string; readonly header?: undefined }
  | { readonly header: string; readonly pathParam?: undefined };

export interface RouteRequirements {
  readonly permissions?: readonly string[];
  readonly permissionsMode?: 'all' | 'any';
  readonly roles?: readonly string[];
  readonly rolesMode?: 'all' | 'any';
  readonly scopes?: readonly string[];
  readonly ownerKind?: readonly OwnerKind[];
  readonly tenant?: TenantBinding;
}

export interface CompiledRule {
  /** For logs: `GET,HEAD /public/**` (`*` for every method). */
  readonly name: string;
  /** Upper-case methods; `undefined` matches every method. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly pattern: PathPattern;
  readonly action: 'public' | 'deny' | 'authenticate';
  readonly requirements: RouteRequirements;
}

/** The log name of a rule. */
export function ruleName(methods: ReadonlySet<string> | undefined, pattern: string): string {
  return `${methods === undefined ? '*' : [...methods].join(',')} ${pattern}`;
}

export type DefaultAction = 'authenticated' | 'public' | 'deny';

/** What the pipeline does with one request. */
export type RouteDecision =
  | { readonly action: 'public'; readonly rule: string }
  | { readonly action: 'deny'; readonly rule: string }
  | { readonly action: 'authenticate'; readonly rule: string; readonly requirements: Requirements };

/** Reads one request header; returns every value so duplicates can be refused. */
export type HeaderReader = (lowerCaseName: string) => readonly string[];

/** Pick the first rule matching `method` and the normalised `path`. */
export function decideRoute(
  rules: readonly CompiledRule[],
  defaultAction: DefaultAction,
  method: string,
  path: string,
  readHeader: HeaderReader,
): RouteDecision {
  const upperMethod = method.toUpperCase();
  for (const rule of rules) {
    if (rule.methods !== undefined && !rule.methods.has(upperMethod)) continue;
    const params = rule.pattern.match(path);
    if (params === undefined) continue;
    if (rule.action !== 'authenticate') return { action: rule.action, rule: rule.name };
    return {
      action: 'authenticate',
      rule: rule.name,
      requirements: toRequirements(rule.requirements, params, readHeader),
    };
  }
  if (defaultAction === 'authenticated') {
    return { action: 'authenticate', rule: 'default', requirements: {} };
  }
  return { action: defaultAction, rule: 'default' };
}

function toRequirements(
  route: RouteRequirements,
  params: Readonly<Record<string, string>>,
  readHeader: HeaderReader,
): Requirements {
  const requirements: {
    -readonly [K in keyof Requirements]: Requirements[K];
  } = {};
  if (route.permissions !== undefined) requirements.permissions = route.permissions;
  if (route.permissionsMode !== undefined) requirements.permissionsMode = route.permissionsMode;
  if (route.roles !== undefined) requirements.roles = route.roles;
  if (route.rolesMode !== undefined) requirements.rolesMode = route.rolesMode;
  if (route.scopes !== undefined) requirements.scopes = route.scopes;
  if (route.ownerKind !== undefined) requirements.ownerKind = route.ownerKind;
  if (route.tenant !== undefined) {
    const tenantId = boundTenant(route.tenant, params, readHeader);
    // A binding that finds no (or an ambiguous) tenant denies; it never drops the check.
    if (tenantId === undefined) requirements.tenantRequired = true;
    else requirements.tenantId = tenantId;
  }
  return requirements;
}

function boundTenant(
  binding: TenantBinding,
  params: Readonly<Record<string, string>>,
  readHeader: HeaderReader,
): string | undefined {
  if (binding.pathParam !== undefined) {
    const value = params[binding.pathParam];
    return value === undefined || value === '' ? undefined : safeDecode(value);
  }
  const values = readHeader(binding.header);
  if (values.length !== 1) return undefined;
  const value = (values[0] as string).trim();
  return value === '' ? undefined : value;
}

/** Path parameters may carry escapes the normaliser kept (e.g. `%20`); compare decoded ids. */
function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
