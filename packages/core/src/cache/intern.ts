/**
 * Deduplication of what cached principals repeat (docs/design.md §2 memory): every token of a
 * tenant carries the same roles and permissions arrays, issuer, audience, tenant id and type, and
 * every verification parses them into fresh strings and arrays. The cache keeps one copy of each,
 * shared by the principals (all frozen, so sharing is invisible to callers).
 *
 * Nested arrays and flat objects come back frozen: claims are read-only (`Readonly<...>`) and a
 * shared value must not be changed through one principal.
 *
 * Bounded: once a pool holds `maxEntries` values it stops adding (values then stay unshared), so a
 * stream of unique values cannot grow it. Only short strings and arrays of short strings qualify;
 * identifiers unique per token (`sub`, `jti`) are never offered.
 */

/** Claim names whose string values repeat across a tenant's tokens. */
const SHARED_STRING_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'aud',
  'type',
  'tenantId',
  'tenant_id',
  'azp',
  'scope',
  'createdByUserId',
  'client_id',
]);

const MAX_STRING_CHARS = 256;
const MAX_ARRAY_ITEMS = 256;
const MAX_OBJECT_KEYS = 32;

const isSmallPrimitive = (value: unknown): boolean =>
  typeof value === 'number' || typeof value === 'boolean' || value === null;

export class Interner {
  readonly #strings = new Map<string, string>();
  readonly #arrays = new Map<string, readonly string[]>();
  readonly #objects = new Map<string, object>();
  readonly #maxEntries: number;

  constructor(maxEntries = 4096) {
    this.#maxEntries = maxEntries;
  }

  string<T extends string | undefined>(value: T): T {
    if (value === undefined || value.length > MAX_STRING_CHARS) return value;
    const shared = this.#strings.get(value);
    if (shared !== undefined) return shared as T;
    if (this.#strings.size < this.#maxEntries) this.#strings.set(value, value);
    return value;
  }

  /** A shared frozen array equal to `values`, or `values` itself when it does not qualify. */
  array(values: readonly unknown[]): readonly unknown[] {
    if (values.length > MAX_ARRAY_ITEMS) return values;
    let key = '';
    for (const value of values) {
      if (typeof value !== 'string' || value.length > MAX_STRING_CHARS) return values;
      // Length-prefixed, so no two different arrays share a key.
      key += `${value.length}:${value}`;
    }
    const shared = this.#arrays.get(key);
    if (shared !== undefined) return shared;
    const frozen = Object.isFrozen(values)
      ? (values as readonly string[])
      : Object.freeze((values as string[]).map((v) => this.string(v)));
    if (this.#arrays.size < this.#maxEntries) this.#arrays.set(key, frozen);
    return frozen;
  }

  /**
   * A shared frozen copy of a small flat object of primitives (e.g. Frontegg `metadata`), or
   * `value` itself when it does not qualify.
   */
  object(value: object): object {
    if (Object.getPrototypeOf(value) !== Object.prototype) return value;
    const entries = Object.entries(value);
    if (entries.length > MAX_OBJECT_KEYS) return value;
    for (const [, v] of entries) {
      if (typeof v === 'string' ? v.length > MAX_STRING_CHARS : !isSmallPrimitive(v)) return value;
    }
    const key = JSON.stringify(entries);
    const shared = this.#objects.get(key);
    if (shared !== undefined) return shared;
    const frozen = Object.isFrozen(value) ? value : Object.freeze({ ...value });
    if (this.#objects.size < this.#maxEntries) this.#objects.set(key, frozen);
    return frozen;
  }

  get size(): number {
    return this.#strings.size + this.#arrays.size + this.#objects.size;
  }
}

/**
 * The same principal with its repeated parts shared through `interner`: equal field by field
 * (claims included), frozen like the original.
 */
export function compactPrincipal<P extends PrincipalLike>(principal: P, interner: Interner): P {
  const claims: Record<string, unknown> = { ...principal.claims };
  for (const name of Object.keys(claims)) {
    const value = claims[name];
    if (typeof value === 'string') {
      if (SHARED_STRING_CLAIMS.has(name)) claims[name] = interner.string(value);
    } else if (Array.isArray(value)) {
      claims[name] = interner.array(value);
    } else if (typeof value === 'object' && value !== null) {
      claims[name] = interner.object(value);
    }
  }
  const copy: Mutable<P> = { ...principal };
  // Only fields the principal has: a compacted principal has exactly the original's keys.
  if (copy.tenantId !== undefined) copy.tenantId = interner.string(copy.tenantId);
  if (copy.issuer !== undefined) copy.issuer = interner.string(copy.issuer);
  if (copy.createdByUserId !== undefined) {
    copy.createdByUserId = interner.string(copy.createdByUserId);
  }
  copy.permissions = interner.array(copy.permissions) as readonly string[];
  copy.roles = interner.array(copy.roles) as readonly string[];
  copy.scopes = interner.array(copy.scopes) as readonly string[];
  copy.claims = Object.freeze(claims);
  return Object.freeze(copy);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface PrincipalLike {
  readonly tenantId?: string | undefined;
  readonly issuer?: string | undefined;
  readonly createdByUserId?: string | undefined;
  readonly permissions: readonly string[];
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
}
