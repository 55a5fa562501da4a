/**
 * Validation of everything read back from Redis or the bus. Anything may be there (another
 * version, a bug, an operator's `PUBLISH`), so nothing is trusted: a value that does not parse is
 * reported as `undefined` with a reason, and callers log and drop it.
 */
import { CREDENTIAL_KINDS } from '@portcullis/core';
import type {
  BusMessage,
  CredentialKind,
  PolicyState,
  Principal,
  Selector,
  SharedCacheEntry,
  TenantWatch,
  Tombstone,
} from '@portcullis/core';
import { SELECTOR_FIELDS } from './keys.js';

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const MAX_ID_CHARS = 1024;
const MAX_ORIGIN_CHARS = 256;
const OWNER_KINDS = ['tenant', 'user', 'client'] as const;

class Invalid extends Error {}

function fail(reason: string): never {
  throw new Invalid(reason);
}

function attempt<T>(parse: () => T): Parsed<T> {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, reason: error.message };
    if (error instanceof SyntaxError) return { ok: false, reason: 'not JSON' };
    throw error;
  }
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(`${what} has an unknown field`);
  }
}

function idString(value: unknown, what: string, max = MAX_ID_CHARS): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    fail(`${what} is not a valid id`);
  return value;
}

function epochMs(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    fail(`${what} is not epoch ms`);
  return value;
}

/** Policy origins may be empty (a pinned or initial state); they only order versions. */
function originString(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_ORIGIN_CHARS)
    fail('policy version origin is not a string');
  return value;
}

function credentialKind(value: unknown, what: string): CredentialKind {
  if (!CREDENTIAL_KINDS.includes(value as CredentialKind)) fail(`${what} is not a credential kind`);
  return value as CredentialKind;
}

function stringArray(value: unknown, what: string): readonly string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    fail(`${what} is not a list of strings`);
  }
  return Object.freeze([...(value as string[])]);
}

/** A selector exactly as core defines it; unknown fields are refused (ignoring one would widen it). */
export function toSelector(value: unknown): Selector {
  const raw = record(value, 'selector');
  if (raw.all !== undefined) {
    if (raw.all !== true || Object.keys(raw).length !== 1)
      fail('selector all must be true and alone');
    return Object.freeze({ all: true as const });
  }
  onlyKeys(raw, SELECTOR_FIELDS, 'selector');
  const out: Record<string, string> = {};
  for (const field of SELECTOR_FIELDS) {
    if (raw[field] === undefined) continue;
    out[field] =
      field === 'credential'
        ? credentialKind(raw[field], 'selector credential')
        : idString(raw[field], `selector ${field}`);
  }
  if (Object.keys(out).length === 0) fail('selector names no field');
  return Object.freeze(out);
}

export function toTombstone(value: unknown): Tombstone {
  const raw = record(value, 'tombstone');
  onlyKeys(raw, ['kind', 'selector', 'revokedAt', 'expiresAt'], 'tombstone');
  if (raw.kind !== 'revoke' && raw.kind !== 'lock') fail('tombstone kind is unknown');
  return Object.freeze({
    kind: raw.kind,
    selector: toSelector(raw.selector),
    revokedAt: epochMs(raw.revokedAt, 'tombstone revokedAt'),
    expiresAt: epochMs(raw.expiresAt, 'tombstone expiresAt'),
  });
}

export function toWatch(value: unknown): TenantWatch {
  const raw = record(value, 'watch');
  onlyKeys(raw, ['tenantId', 'startedAt', 'expiresAt'], 'watch');
  const startedAt = epochMs(raw.startedAt, 'watch startedAt');
  const expiresAt = epochMs(raw.expiresAt, 'watch expiresAt');
  if (expiresAt < startedAt) fail('watch ends before it starts');
  return Object.freeze({
    tenantId: idString(raw.tenantId, 'watch tenantId'),
    startedAt,
    expiresAt,
  });
}

export function toPolicyState(value: unknown): PolicyState {
  const raw = record(value, 'policy');
  onlyKeys(raw, ['enabled', 'acceptedCredentials', 'version'], 'policy');
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean')
    fail('policy enabled is not a boolean');
  const accepted = stringArray(raw.acceptedCredentials, 'policy acceptedCredentials');
  accepted.forEach((kind) => credentialKind(kind, 'policy acceptedCredentials'));
  if (new Set(accepted).size !== accepted.length) fail('policy acceptedCredentials has duplicates');
  const version = record(raw.version, 'policy version');
  onlyKeys(version, ['at', 'origin'], 'policy version');
  return Object.freeze({
    enabled: raw.enabled,
    acceptedCredentials: accepted as readonly CredentialKind[],
    version: Object.freeze({
      at: epochMs(version.at, 'policy version at'),
      origin: originString(version.origin),
    }),
  });
}

export function toBusMessage(value: unknown): BusMessage {
  const raw = record(value, 'message');
  if (raw.v !== 1) fail('message version is not 1');
  const origin = idString(raw.origin, 'message origin', MAX_ORIGIN_CHARS);
  const base = { v: 1 as const, origin };
  switch (raw.type) {
    case 'invalidate':
      onlyKeys(raw, ['v', 'origin', 'type', 'selector'], 'message');
      return Object.freeze({ ...base, type: 'invalidate', selector: toSelector(raw.selector) });
    case 'revoke':
      onlyKeys(raw, ['v', 'origin', 'type', 'tombstone'], 'message');
      return Object.freeze({ ...base, type: 'revoke', tombstone: toTombstone(raw.tombstone) });
    case 'watch':
      onlyKeys(raw, ['v', 'origin', 'type', 'watch'], 'message');
      return Object.freeze({ ...base, type: 'watch', watch: toWatch(raw.watch) });
    case 'unlock':
      onlyKeys(raw, ['v', 'origin', 'type', 'userId'], 'message');
      return Object.freeze({
        ...base,
        type: 'unlock',
        userId: idString(raw.userId, 'message userId'),
      });
    case 'policy':
      onlyKeys(raw, ['v', 'origin', 'type', 'state'], 'message');
      return Object.freeze({ ...base, type: 'policy', state: toPolicyState(raw.state) });
    case 'flush':
      onlyKeys(raw, ['v', 'origin', 'type'], 'message');
      return Object.freeze({ ...base, type: 'flush' });
    default:
      return fail('message type is unknown');
  }
}

function optionalString(raw: Record<string, unknown>, field: string): string | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(`principal ${field} is not a string`);
  return value;
}

function optionalNumber(raw: Record<string, unknown>, field: string): number | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(`principal ${field} is not a number`);
  return value;
}

/** A principal as the authenticator stored it (JSON drops `undefined` fields). Deeply frozen. */
export function toPrincipal(value: unknown): Principal {
  const raw = record(value, 'principal');
  if (typeof raw.subject !== 'string') fail('principal subject is not a string');
  if (!OWNER_KINDS.includes(raw.ownerKind as never)) fail('principal ownerKind is unknown');
  const claims = record(raw.claims, 'principal claims');
  const principal: Record<string, unknown> = {
    subject: raw.subject,
    ownerKind: raw.ownerKind,
    credential: credentialKind(raw.credential, 'principal credential'),
    permissions: stringArray(raw.permissions, 'principal permissions'),
    roles: stringArray(raw.roles, 'principal roles'),
    scopes: stringArray(raw.scopes, 'principal scopes'),
    claims: deepFreeze(claims),
  };
  for (const field of ['clientId', 'tokenId', 'tenantId', 'userId', 'createdByUserId', 'issuer']) {
    const text = optionalString(raw, field);
    if (text !== undefined) principal[field] = text;
  }
  for (const field of ['issuedAt', 'expiresAt']) {
    const number = optionalNumber(raw, field);
    if (number !== undefined) principal[field] = number;
  }
  return Object.freeze(principal) as unknown as Principal;
}

export function toSharedCacheEntry(value: unknown): SharedCacheEntry {
  const raw = record(value, 'cache entry');
  if (typeof raw.checkedOnline !== 'boolean') fail('cache entry checkedOnline is not a boolean');
  return Object.freeze({
    principal: toPrincipal(raw.principal),
    expiresAt: epochMs(raw.expiresAt, 'cache entry expiresAt'),
    checkedOnline: raw.checkedOnline,
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Parses JSON text and validates it; never throws on bad input. */
export function parseJson<T>(text: string, convert: (value: unknown) => T): Parsed<T> {
  return attempt(() => convert(JSON.parse(text)));
}
