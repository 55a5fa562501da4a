/** Selector helpers shared by the cache index, the tombstone table and the race guard (docs/design.md §5). */
import { CREDENTIAL_KINDS } from '../types.js';
import type { Principal, Selector, SelectorFields } from '../types.js';
import { PortcullisError } from '../errors.js';

/** The principal fields a selector can name, most selective first. */
export const SELECTOR_ID_FIELDS = ['tokenId', 'clientId', 'userId', 'tenantId'] as const;
export type SelectorIdField = (typeof SELECTOR_ID_FIELDS)[number];

/** Upper bound on one selector value, so a webhook cannot plant huge keys. */
const MAX_SELECTOR_VALUE_CHARS = 1024;

export function isAllSelector(selector: Selector): selector is { readonly all: true } {
  return (selector as { all?: unknown }).all === true;
}

/** True when every field the selector names equals the principal's. `all` matches everything. */
export function matchesSelector(selector: Selector, principal: Principal): boolean {
  if (isAllSelector(selector)) return true;
  const s = selector;
  if (s.tokenId !== undefined && s.tokenId !== principal.tokenId) return false;
  if (s.clientId !== undefined && s.clientId !== principal.clientId) return false;
  if (s.userId !== undefined && s.userId !== principal.userId) return false;
  if (s.tenantId !== undefined && s.tenantId !== principal.tenantId) return false;
  if (s.credential !== undefined && s.credential !== principal.credential) return false;
  return true;
}

/**
 * Checks a selector arriving from an API call, a webhook or the bus and returns a frozen copy with
 * only the known fields. Throws `ERR_INVALID_OPTION` (a programmer error) when it is unusable.
 */
export function normalizeSelector(selector: unknown): Selector {
  if (selector === null || typeof selector !== 'object') {
    throw badSelector('must be an object');
  }
  const raw = selector as Record<string, unknown>;
  if (raw.all === true) return Object.freeze({ all: true as const });
  const out: { -readonly [K in keyof SelectorFields]: SelectorFields[K] } = {};
  for (const field of SELECTOR_ID_FIELDS) {
    const value = raw[field];
    if (value === undefined) continue;
    if (
      typeof value !== 'string' ||
      value.length === 0 ||
      value.length > MAX_SELECTOR_VALUE_CHARS
    ) {
      throw badSelector(
        `field ${field} must be a non-empty string of at most ${MAX_SELECTOR_VALUE_CHARS} characters`,
      );
    }
    out[field] = value;
  }
  if (raw.credential !== undefined) {
    if (!CREDENTIAL_KINDS.includes(raw.credential as never)) {
      throw badSelector(`field credential must be one of ${CREDENTIAL_KINDS.join(', ')}`);
    }
    out.credential = raw.credential as SelectorFields['credential'];
  }
  const keys = Object.keys(out);
  if (keys.length === 0) {
    throw badSelector(
      'must set all: true or at least one of tenantId, userId, clientId, tokenId, credential',
    );
  }
  return Object.freeze(keys.length === 1 ? single(out) : out);
}

/**
 * The usual one-field selector as an exact-size literal: an object grown from `{}` reserves room
 * for four properties, and a tombstone table keeps one selector per tombstone.
 */
function single(out: SelectorFields): SelectorFields {
  if (out.clientId !== undefined) return { clientId: out.clientId };
  if (out.tokenId !== undefined) return { tokenId: out.tokenId };
  if (out.userId !== undefined) return { userId: out.userId };
  if (out.tenantId !== undefined) return { tenantId: out.tenantId };
  return out;
}

function badSelector(problem: string): PortcullisError {
  return new PortcullisError('ERR_INVALID_OPTION', `selector ${problem}`, {
    details: { option: 'selector' },
  });
}

/**
 * `{clientId}`, `{tokenId}` and `{credential}` tombstones reject every matching token; `{userId}`,
 * `{tenantId}` and `all` ones only tokens issued before the revocation, so a re-created user or
 * tenant with the same id works again (docs/design.md §5). A combination is unconditional as soon as it
 * names a specific credential (clientId, tokenId) or a credential kind.
 */
export function isUnconditionalSelector(selector: Selector): boolean {
  if (isAllSelector(selector)) return false;
  return (
    selector.clientId !== undefined ||
    selector.tokenId !== undefined ||
    selector.credential !== undefined
  );
}

/** A stable identity for a selector (dedup of tombstones). Not used on the request path. */
export function selectorIdentity(selector: Selector): string {
  if (isAllSelector(selector)) return 'all';
  const s = selector;
  return [s.tokenId ?? '', s.clientId ?? '', s.userId ?? '', s.tenantId ?? '', s.credential ?? '']
    .map((part) => encodeURIComponent(part))
    .join('|');
}
