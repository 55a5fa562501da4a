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

/** Principal fields whose values repeat across a tenant's tokens. */
const SHARED_STRING_FIELDS: ReadonlySet<string> = new Set([
  ...SHARED_STRING_CLAIMS,
  'issuer',
  'ownerKind',
  'credential',
]);

/** Nesting deeper than this is not compacted (the principal is kept as it is). */
const MAX_DEPTH = 8;

/**
 * The same principal with its repeated parts shared through `interner`: equal field by field
 * (claims included), frozen like the original, or the original itself when it holds anything
 * JSON cannot carry exactly (a class instance, a function, `undefined` in an array, a non-finite
 * number...).
 *
 * Rebuilt through `JSON.parse` on purpose: V8 gives a parsed object its properties in-object,
 * while a copy of a frozen object (`{...principal}`) keeps them in a separate, padded property
 * array — about 100 B more per object, twice per principal (heap snapshot of the memory bench).
 * Runs once per cache write (a miss), never on a hit.
 */
export function compactPrincipal<P extends PrincipalLike>(principal: P, interner: Interner): P {
  if (!isJsonExact(principal, 0)) return principal;
  // No reviver: V8 builds a reviver's result property by property, out of object again.
  const copy = JSON.parse(JSON.stringify(principal)) as Record<string, unknown>;
  // The parse made a string per occurrence: `subject`, `clientId` and `claims.sub` are one id.
  const own = new Map<string, string>();
  const claims = copy['claims'];
  if (typeof claims === 'object' && claims !== null) {
    shareValues(claims as Record<string, unknown>, interner, own);
    Object.freeze(claims);
  }
  shareValues(copy, interner, own);
  return Object.freeze(copy) as unknown as P;
}

/** Replaces repeated values of one object's own fields by shared ones (same property kinds). */
function shareValues(
  target: Record<string, unknown>,
  interner: Interner,
  own: Map<string, string>,
): void {
  for (const key of Object.keys(target)) {
    const value = target[key];
    if (Array.isArray(value)) target[key] = interner.array(value);
    else if (typeof value === 'string') {
      if (SHARED_STRING_FIELDS.has(key)) target[key] = interner.string(value);
      else {
        const seen = own.get(value);
        if (seen === undefined) own.set(value, value);
        else target[key] = seen;
      }
    } else if (typeof value === 'object' && value !== null && key !== 'claims') {
      target[key] = interner.object(value);
    }
  }
}

/** True when a JSON round trip gives back an equal value (plain data only). */
function isJsonExact(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !isJsonExact(value[i], depth + 1)) return false;
        }
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        // `undefined` members are dropped by JSON: an absent field reads the same.
        if (item !== undefined && !isJsonExact(item, depth + 1)) return false;
      }
      // Symbol keys and non-enumerable properties would be lost.
      return (
        Object.getOwnPropertySymbols(value).length === 0 &&
        Object.getOwnPropertyNames(value).length === Object.keys(value).length
      );
    }
    default:
      return false;
  }
}

interface PrincipalLike {
  readonly tenantId?: string | undefined;
  readonly issuer?: string | undefined;
  readonly createdByUserId?: string | undefined;
  readonly permissions: readonly string[];
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
}
