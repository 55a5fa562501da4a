/**
 * Is a Frontegg access token still live? Vendor-only routes (frontegg-wire.md §4):
 * `GET {baseUrl}/identity/resources/vendor-only/{tenants|users}/access-tokens/v1/active` → `string[]`
 * (every active id of that kind in the environment), and `…/v1/{id}` → `{id, tenantId, userId?,
 * roles, permissions, expires?}`, 404 for an unknown or deleted id.
 *
 * Unlike Frontegg's Node SDK (which skips the list when roles are asked for), both are used: the
 * list proves liveness, the entity carries roles and permissions. The list is fetched once per
 * TTL per kind (single flight) and bounded; a list over the bound is not kept, and `/{id}` then
 * decides alone (it answers 404 for deleted ids) rather than failing every access token.
 */
import { PortcullisError, isPortcullisError } from '../../errors.js';
import type { Logger } from '../../types.js';
import type { AccessTokenEntity } from './principal.js';
import { keysOf } from './principal.js';
import type { VendorTokenClient } from './vendor-token.js';

export type AccessTokenKind = 'tenants' | 'users';

export interface AccessTokenCheckerOptions {
  readonly vendor: VendorTokenClient;
  /** How long one active list is reused, in ms. */
  readonly listTtlMs: number;
  /** Most ids accepted in one list; a longer list is not kept (see below). */
  readonly listMax: number;
  /** Allowed clock skew, in seconds: a list read this soon after a token's `iat` may predate it. */
  readonly clockToleranceSec: number;
  readonly logger: Logger;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

export interface AccessTokenChecker {
  /**
   * Resolves the token's entity when active; ERR_TOKEN_INACTIVE when not. `issuedAtSec` (the JWT's
   * `iat`) tells whether a cached list can know the token at all.
   */
  check(
    kind: AccessTokenKind,
    tokenId: string,
    issuedAtSec: number | undefined,
    signal: AbortSignal,
  ): Promise<AccessTokenEntity>;
}

interface ActiveList {
  /**
   * `undefined` when the list could not be used (longer than `listMax`, or malformed): then the
   * `/{id}` lookup alone decides, which is authoritative for deleted ids (404) but cannot see an
   * id that is listed as inactive while still resolvable.
   */
  readonly ids: ReadonlySet<string> | undefined;
  readonly fetchedAt: number;
}

const BASE = '/identity/resources/vendor-only';
/** A token created after the list was read is missing from it; refetch at most this often. */
const MISS_REFETCH_COOLDOWN_MS = 1_000;
const MAX_ID_CHARS = 256;
/** Body bound per listed id: a UUID in quotes plus a comma is 39 bytes. */
const BYTES_PER_ID = 64;

export function createAccessTokenChecker(options: AccessTokenCheckerOptions): AccessTokenChecker {
  const lists = new Map<AccessTokenKind, ActiveList>();
  const pending = new Map<AccessTokenKind, Promise<ActiveList>>();
  const lookups = new Map<string, Promise<AccessTokenEntity>>();

  async function fetchList(kind: AccessTokenKind, signal: AbortSignal): Promise<ActiveList> {
    let body: unknown;
    try {
      const answer = await options.vendor.call({
        operation: 'frontegg-active',
        method: 'GET',
        path: `${BASE}/${kind}/access-tokens/v1/active`,
        signal,
        maxBodyBytes: options.listMax * BYTES_PER_ID + 1024,
      });
      body = answer.body;
    } catch (error) {
      if (!isPortcullisError(error) || error.code !== 'ERR_IDP_RESPONSE_INVALID') throw error;
      return unusable(kind, error.message);
    }
    if (!Array.isArray(body) || !body.every((id) => typeof id === 'string')) {
      return unusable(kind, 'the active access-token list is not an array of ids');
    }
    if (body.length > options.listMax) {
      return unusable(kind, `the active access-token list has more than ${options.listMax} ids`);
    }
    return { ids: new Set(body), fetchedAt: options.now() };
  }

  function unusable(kind: AccessTokenKind, reason: string): ActiveList {
    options.logger.warn(
      { provider: 'frontegg', kind, reason },
      'frontegg active access-token list not used; checking each token by id (raise activeListMax?)',
    );
    return { ids: undefined, fetchedAt: options.now() };
  }

  function list(kind: AccessTokenKind, signal: AbortSignal, force: boolean): Promise<ActiveList> {
    const cached = lists.get(kind);
    if (!force && cached !== undefined && options.now() - cached.fetchedAt < options.listTtlMs) {
      return Promise.resolve(cached);
    }
    let inFlight = pending.get(kind);
    if (inFlight === undefined) {
      inFlight = fetchList(kind, signal)
        .then((fresh) => {
          lists.set(kind, fresh);
          return fresh;
        })
        .finally(() => pending.delete(kind));
      pending.set(kind, inFlight);
    }
    return inFlight;
  }

  /** True when the list may have been read before the token existed (or `iat` is unknown). */
  function predates(active: ActiveList, issuedAtSec: number | undefined): boolean {
    if (issuedAtSec === undefined) return true;
    return active.fetchedAt < (issuedAtSec + options.clockToleranceSec) * 1000;
  }

  /**
   * False only when a usable list read after the token was issued lacks the id. A list that may
   * predate the token is re-read (at most once per cooldown); when it still may, the `/{id}` lookup
   * decides alone (404 for deleted ids) — a brand-new token is never refused for a stale list.
   */
  async function mayBeActive(
    kind: AccessTokenKind,
    id: string,
    issuedAtSec: number | undefined,
    signal: AbortSignal,
  ): Promise<boolean> {
    const current = await list(kind, signal, false);
    if (current.ids === undefined || current.ids.has(id)) return true;
    if (!predates(current, issuedAtSec)) return false;
    if (options.now() - current.fetchedAt < MISS_REFETCH_COOLDOWN_MS) return true;
    const fresh = await list(kind, signal, true);
    if (fresh.ids === undefined || fresh.ids.has(id)) return true;
    return predates(fresh, issuedAtSec);
  }

  /** Single flight per id: a burst for one brand-new token asks `/{id}` once. */
  function lookup(
    kind: AccessTokenKind,
    id: string,
    signal: AbortSignal,
  ): Promise<AccessTokenEntity> {
    const key = `${kind}/${id}`;
    let inFlight = lookups.get(key);
    if (inFlight === undefined) {
      inFlight = entity(kind, id, signal).finally(() => lookups.delete(key));
      lookups.set(key, inFlight);
    }
    return inFlight;
  }

  async function entity(
    kind: AccessTokenKind,
    id: string,
    signal: AbortSignal,
  ): Promise<AccessTokenEntity> {
    const answer = await options.vendor.call({
      operation: 'frontegg-access-token',
      method: 'GET',
      path: `${BASE}/${kind}/access-tokens/v1/${encodeURIComponent(id)}`,
      signal,
      passStatuses: [404],
    });
    if (answer.status === 404) throw inactive();
    const body = answer.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new PortcullisError(
        'ERR_IDP_RESPONSE_INVALID',
        'Frontegg access-token entity is not an object',
        {
          details: { operation: 'frontegg-access-token' },
        },
      );
    }
    const record = body as Record<string, unknown>;
    const expires = typeof record['expires'] === 'string' ? Date.parse(record['expires']) : NaN;
    if (Number.isFinite(expires) && expires <= options.now()) throw inactive();
    const tenantId = record['tenantId'];
    const userId = record['userId'];
    return {
      roles: keysOf(record['roles']),
      permissions: keysOf(record['permissions']),
      ...(typeof tenantId === 'string' && tenantId !== '' ? { tenantId } : {}),
      ...(typeof userId === 'string' && userId !== '' ? { userId } : {}),
    };
  }

  return {
    async check(kind, tokenId, issuedAtSec, signal) {
      if (tokenId === '' || tokenId.length > MAX_ID_CHARS) throw inactive();
      if (!(await mayBeActive(kind, tokenId, issuedAtSec, signal))) throw inactive();
      return lookup(kind, tokenId, signal);
    },
  };
}

function inactive(): PortcullisError {
  return new PortcullisError('ERR_TOKEN_INACTIVE', 'the access token is no longer active');
}
