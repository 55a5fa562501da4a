/**
 * API-token deletions whose webhook names no client id (Frontegg documents no payload for
 * `*ApiToken.deleted`, docs/design.md §5). The tenant's API-token list at the IdP is then the truth:
 * cached client ids of that tenant that are no longer listed are revoked, and until the longest
 * JWT lifetime has passed every client-credential JWT of that tenant is checked against the list
 * (read at most every `refreshMs`) — a deleted token must not live until its JWT's `exp`.
 */
import { PortcullisError } from '../../errors.js';
import type { AuthenticatorActions } from '../../provider.js';
import type { Logger, Principal } from '../../types.js';
import type { VendorTokenClient } from './vendor-token.js';

export interface DeletionWatchOptions {
  readonly vendor: VendorTokenClient;
  /** How long a tenant stays watched, in ms (read at each start; policy may raise it). */
  readonly watchTtlMs: () => number;
  /** Least time between two reads of one list, in ms. */
  readonly refreshMs: number;
  readonly maxTenants: number;
  readonly clockToleranceSec: number;
  readonly logger: Logger;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

export interface DeletionWatch {
  /** Remembers who owns a verified client credential (to pick the right list later). */
  remember(principal: Principal): void;
  /** Handles one unnamed deletion: watch the tenant, revoke what is gone, invalidate the unknown. */
  reconcile(
    tenantId: string,
    userId: string | undefined,
    actions: AuthenticatorActions,
    signal: AbortSignal,
  ): Promise<{ revoked: number; invalidated: number }>;
  /** Throws ERR_TOKEN_REVOKED for a watched tenant's client credential that is no longer listed. */
  check(principal: Principal, actions: AuthenticatorActions, signal: AbortSignal): Promise<void>;
  /** Tenants currently watched (health detail). */
  size(): number;
}

interface IdList {
  readonly ids: ReadonlySet<string>;
  readonly fetchedAt: number;
}

interface Watch {
  until: number;
  /** Key `''` is the tenant's own list; other keys are user ids (personal tokens). */
  readonly lists: Map<string, IdList>;
  readonly pending: Map<string, Promise<IdList>>;
}

const TENANT_LIST = '';
const NONE: ReadonlySet<string> = new Set();
const MAX_OWNERS = 100_000;
const MAX_USER_LISTS_PER_RECONCILE = 50;
const MAX_LISTED_TOKENS = 100_000;

export function createDeletionWatch(options: DeletionWatchOptions): DeletionWatch {
  const watches = new Map<string, Watch>();
  const owners = new Map<string, { readonly tenantId: string; readonly userId?: string }>();

  async function fetchList(tenantId: string, userId: string, signal: AbortSignal): Promise<IdList> {
    const personal = userId !== TENANT_LIST;
    const answer = await options.vendor.call({
      operation: 'frontegg-api-tokens',
      method: 'GET',
      path: personal
        ? '/identity/resources/users/api-tokens/v1'
        : '/identity/resources/tenants/api-tokens/v1',
      headers: {
        'frontegg-tenant-id': tenantId,
        ...(personal ? { 'frontegg-user-id': userId } : {}),
      },
      signal,
      // A deleted user (or tenant) has no tokens: 404 is an answer, not an IdP failure.
      passStatuses: [404],
    });
    const ids = answer.status === 404 ? NONE : clientIdsOf(answer.body);
    return { ids, fetchedAt: options.now() };
  }

  async function listFor(
    tenantId: string,
    watch: Watch,
    userId: string,
    signal: AbortSignal,
    mustBeAfterMs: number,
  ): Promise<IdList> {
    const cached = watch.lists.get(userId);
    if (cached !== undefined && cached.fetchedAt >= mustBeAfterMs) return cached;
    if (cached !== undefined && options.now() - cached.fetchedAt < options.refreshMs) {
      // Too soon to ask again: better a retry than a wrong verdict on a brand-new token.
      const waitMs = options.refreshMs - (options.now() - cached.fetchedAt);
      throw new PortcullisError(
        'ERR_IDP_UNAVAILABLE',
        'the API token cannot be confirmed yet after a deletion in its tenant',
        { retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) },
      );
    }
    // Single flight per list: a burst of requests from a watched tenant reads it once.
    const joined = watch.pending.get(userId);
    if (joined !== undefined) return joined;
    const started: Promise<IdList> = fetchList(tenantId, userId, signal)
      .then((fresh) => {
        // A newer deletion may have restarted the watch meanwhile: keep only current reads.
        if (watch.pending.get(userId) === started) watch.lists.set(userId, fresh);
        return fresh;
      })
      .finally(() => {
        if (watch.pending.get(userId) === started) watch.pending.delete(userId);
      });
    watch.pending.set(userId, started);
    return started;
  }

  function startWatch(tenantId: string): Watch {
    const until = options.now() + options.watchTtlMs();
    const existing = watches.get(tenantId);
    if (existing !== undefined) {
      existing.until = Math.max(existing.until, until);
      // Lists read before this deletion may still show the deleted token.
      existing.lists.clear();
      existing.pending.clear();
      return existing;
    }
    if (watches.size >= options.maxTenants) evictSoonest();
    const watch: Watch = { until, lists: new Map(), pending: new Map() };
    watches.set(tenantId, watch);
    return watch;
  }

  function evictSoonest(): void {
    let soonest: [string, Watch] | undefined;
    for (const entry of watches) {
      if (soonest === undefined || entry[1].until < soonest[1].until) soonest = entry;
    }
    if (soonest === undefined) return;
    watches.delete(soonest[0]);
    options.logger.error(
      { tenantId: soonest[0], maxTenants: options.maxTenants },
      'frontegg deletion watch is full; stopped watching the tenant closest to expiry',
    );
  }

  function activeWatch(tenantId: string): Watch | undefined {
    const watch = watches.get(tenantId);
    if (watch !== undefined && watch.until <= options.now()) {
      watches.delete(tenantId);
      return undefined;
    }
    return watch;
  }

  return {
    remember(principal) {
      if (principal.credential !== 'client_credentials' || principal.clientId === undefined) return;
      if (principal.tenantId === undefined) return;
      owners.delete(principal.clientId);
      owners.set(principal.clientId, {
        tenantId: principal.tenantId,
        ...(principal.ownerKind === 'user' && principal.userId !== undefined
          ? { userId: principal.userId }
          : {}),
      });
      if (owners.size > MAX_OWNERS) {
        const oldest = owners.keys().next();
        if (oldest.done !== true) owners.delete(oldest.value);
      }
    },

    async reconcile(tenantId, userId, actions, signal) {
      const watch = startWatch(tenantId);
      const at = options.now();
      const tenantList = await listFor(tenantId, watch, TENANT_LIST, signal, at);
      const candidates = actions.cachedClientIds(tenantId);
      const users = new Set<string>(userId === undefined ? [] : [userId]);
      for (const clientId of candidates) {
        const owner = owners.get(clientId);
        if (owner?.userId !== undefined && users.size < MAX_USER_LISTS_PER_RECONCILE) {
          users.add(owner.userId);
        }
      }
      for (const user of users) await listFor(tenantId, watch, user, signal, at);
      let revoked = 0;
      let invalidated = 0;
      for (const clientId of candidates) {
        const owner = owners.get(clientId);
        const list =
          owner === undefined
            ? undefined
            : owner.userId === undefined
              ? tenantList
              : watch.lists.get(owner.userId);
        if (list === undefined) {
          // Owner unknown here (shared cache, or evicted): re-verify it through `check`.
          await actions.invalidate({ clientId });
          invalidated += 1;
        } else if (!list.ids.has(clientId)) {
          await actions.revoke({ clientId });
          revoked += 1;
        }
      }
      options.logger.warn(
        { tenantId, revoked, invalidated, watchedUntil: new Date(watch.until).toISOString() },
        'frontegg API-token deletion named no client id; reconciled the tenant with the IdP list',
      );
      return { revoked, invalidated };
    },

    async check(principal, actions, signal) {
      if (principal.credential !== 'client_credentials') return;
      const { tenantId, clientId } = principal;
      if (tenantId === undefined || clientId === undefined) return;
      const watch = activeWatch(tenantId);
      if (watch === undefined) return;
      const listKey =
        principal.ownerKind === 'user' && principal.userId !== undefined
          ? principal.userId
          : TENANT_LIST;
      // A list read after the JWT was issued is authoritative for it; older lists may miss it.
      const issuedAtMs = ((principal.issuedAt ?? 0) + options.clockToleranceSec) * 1000;
      const cached = watch.lists.get(listKey);
      if (cached?.ids.has(clientId) === true) return;
      const list = await listFor(tenantId, watch, listKey, signal, issuedAtMs);
      if (list.ids.has(clientId)) return;
      await actions.revoke({ clientId });
      options.logger.warn(
        { tenantId, ownerKind: principal.ownerKind },
        'frontegg API token missing from its tenant list after an unnamed deletion; revoked',
      );
      throw new PortcullisError('ERR_TOKEN_REVOKED', 'the API token has been deleted');
    },

    size() {
      return watches.size;
    },
  };
}

/** Accepts `[{clientId}]` or `{items|apiTokens|tokens: [{clientId}]}`. */
function clientIdsOf(body: unknown): ReadonlySet<string> {
  let items: unknown = body;
  if (!Array.isArray(items) && typeof items === 'object' && items !== null) {
    const record = items as Record<string, unknown>;
    items = record['items'] ?? record['apiTokens'] ?? record['tokens'];
  }
  if (!Array.isArray(items) || items.length > MAX_LISTED_TOKENS) {
    throw new PortcullisError(
      'ERR_IDP_RESPONSE_INVALID',
      'Frontegg API-token list has an unexpected shape',
      {
        details: { operation: 'frontegg-api-tokens' },
      },
    );
  }
  const ids = new Set<string>();
  for (const item of items) {
    const clientId = (item as { clientId?: unknown } | null)?.clientId;
    if (typeof clientId === 'string' && clientId !== '') ids.add(clientId);
  }
  return ids;
}
