/**
 * API-token deletions whose webhook names no client id (Frontegg documents no payload for
 * `*ApiToken.deleted`, docs/design.md §5). The tenant's API-token list at the IdP is then the truth:
 * cached client ids of that tenant that are no longer listed are revoked, and until the longest
 * JWT lifetime has passed every client-credential JWT of that tenant is checked against the list
 * (read at most every `refreshMs`) — a deleted token must not live until its JWT's `exp`.
 * The watch itself is the authenticator's shared state (stored, published, loaded on every
 * replica); this module keeps only this replica's list reads and who owns which client id. The
 * same lists serve the reconciliation sweep for lost webhooks (`sweep`).
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
  /** Most tenants whose lists this replica keeps at once. */
  readonly maxTenants: number;
  readonly clockToleranceSec: number;
  readonly logger: Logger;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

export interface DeletionWatch {
  /** Remembers who owns a verified client credential (to pick the right list later). */
  remember(principal: Principal): void;
  /**
   * Handles one unnamed deletion: starts the tenant's watch on every replica (through
   * `actions.watchTenant`), revokes what is gone, invalidates the unknown.
   */
  reconcile(
    tenantId: string,
    userId: string | undefined,
    actions: AuthenticatorActions,
    signal: AbortSignal,
  ): Promise<{ revoked: number; invalidated: number }>;
  /**
   * Throws ERR_TOKEN_REVOKED for a client credential of a watched tenant (whichever replica started
   * the watch) that is no longer listed, after revoking it everywhere.
   */
  check(principal: Principal, actions: AuthenticatorActions, signal: AbortSignal): Promise<void>;
  /**
   * Re-reads the owner lists (the tenant's, or a user's for personal tokens) of the given cached
   * client credentials and revokes those no longer listed: the reconciliation sweep for lost
   * webhooks. At most `maxLists` list reads. Resolves with the number revoked and the lists read.
   */
  sweep(
    tenantId: string,
    principals: readonly Principal[],
    actions: AuthenticatorActions,
    maxLists: number,
    signal: AbortSignal,
  ): Promise<{ revoked: number; lists: number }>;
  /** Tenants whose lists this replica holds (health detail, tests). */
  size(): number;
}

interface IdList {
  readonly ids: ReadonlySet<string>;
  readonly fetchedAt: number;
}

/** This replica's list reads under one watch of one tenant. */
interface TenantLists {
  readonly startedAt: number;
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
  const tenants = new Map<string, TenantLists>();
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
    state: TenantLists,
    userId: string,
    signal: AbortSignal,
    mustBeAfterMs: number,
  ): Promise<IdList> {
    const cached = state.lists.get(userId);
    if (cached !== undefined && cached.fetchedAt >= mustBeAfterMs) return cached;
    if (cached !== undefined && options.now() - cached.fetchedAt < options.refreshMs) {
      // Too soon to ask again: better a retry than a wrong verdict on a brand-new token. Our own
      // bound on IdP calls, like a full queue: not an IdP failure (health stays as it is).
      const waitMs = options.refreshMs - (options.now() - cached.fetchedAt);
      throw new PortcullisError(
        'ERR_IDP_OVERLOADED',
        'the API token cannot be confirmed yet after a deletion in its tenant',
        { retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) },
      );
    }
    // Single flight per list: a burst of requests from a watched tenant reads it once.
    const joined = state.pending.get(userId);
    if (joined !== undefined) return joined;
    const started: Promise<IdList> = fetchList(tenantId, userId, signal)
      .then((fresh) => {
        if (state.pending.get(userId) === started) state.lists.set(userId, fresh);
        return fresh;
      })
      .finally(() => {
        if (state.pending.get(userId) === started) state.pending.delete(userId);
      });
    state.pending.set(userId, started);
    return started;
  }

  /** The list state of one watch; a newer watch (a later deletion) starts from empty lists. */
  function listsFor(tenantId: string, startedAt: number): TenantLists {
    const existing = tenants.get(tenantId);
    // Lists read before this deletion may still show the deleted token.
    if (existing !== undefined && existing.startedAt >= startedAt) return existing;
    const state: TenantLists = { startedAt, lists: new Map(), pending: new Map() };
    tenants.delete(tenantId);
    tenants.set(tenantId, state);
    if (tenants.size > options.maxTenants) {
      const oldest = tenants.keys().next();
      if (oldest.done !== true) tenants.delete(oldest.value);
    }
    return state;
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
      // Read before the watch starts: starting it drops the tenant's cached client credentials.
      const candidates = actions.cachedClientIds(tenantId);
      const watch = await actions.watchTenant(tenantId, options.watchTtlMs());
      const state = listsFor(tenantId, watch.startedAt);
      const at = options.now();
      const tenantList = await listFor(tenantId, state, TENANT_LIST, signal, at);
      const users = new Set<string>(userId === undefined ? [] : [userId]);
      for (const clientId of candidates) {
        const owner = owners.get(clientId);
        if (owner?.userId !== undefined && users.size < MAX_USER_LISTS_PER_RECONCILE) {
          users.add(owner.userId);
        }
      }
      for (const user of users) await listFor(tenantId, state, user, signal, at);
      let revoked = 0;
      let invalidated = 0;
      for (const clientId of candidates) {
        const owner = owners.get(clientId);
        const list =
          owner === undefined
            ? undefined
            : owner.userId === undefined
              ? tenantList
              : state.lists.get(owner.userId);
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
        { tenantId, revoked, invalidated, watchedUntil: new Date(watch.expiresAt).toISOString() },
        'frontegg API-token deletion named no client id; reconciled the tenant with the IdP list',
      );
      return { revoked, invalidated };
    },

    async check(principal, actions, signal) {
      if (principal.credential !== 'client_credentials') return;
      const { tenantId, clientId } = principal;
      if (tenantId === undefined || clientId === undefined) return;
      const watch = actions.watchOf(tenantId);
      if (watch === undefined) return;
      // Issued after the deletion (beyond clock skew): the IdP exchanged it, so it is not the
      // deleted token — nothing to check, and no 503 for brand-new JWTs.
      if (
        principal.issuedAt !== undefined &&
        (principal.issuedAt - options.clockToleranceSec) * 1000 > watch.startedAt
      ) {
        return;
      }
      // Already revoked (here or on another replica): the answer is known, the IdP is not asked.
      if (actions.isRevoked(principal)) {
        throw new PortcullisError('ERR_TOKEN_REVOKED', 'the API token has been deleted');
      }
      const state = listsFor(tenantId, watch.startedAt);
      const listKey =
        principal.ownerKind === 'user' && principal.userId !== undefined
          ? principal.userId
          : TENANT_LIST;
      // A list read after the JWT was issued is authoritative for it; older lists may miss it.
      const issuedAtMs = ((principal.issuedAt ?? 0) + options.clockToleranceSec) * 1000;
      const cached = state.lists.get(listKey);
      if (cached?.ids.has(clientId) === true) return;
      const list = await listFor(tenantId, state, listKey, signal, issuedAtMs);
      if (list.ids.has(clientId)) return;
      await actions.revoke({ clientId });
      options.logger.warn(
        { tenantId, ownerKind: principal.ownerKind },
        'frontegg API token missing from its tenant list after an unnamed deletion; revoked',
      );
      throw new PortcullisError('ERR_TOKEN_REVOKED', 'the API token has been deleted');
    },

    async sweep(tenantId, principals, actions, maxLists, signal) {
      // Fresh reads only: a sweep exists to notice what no webhook told us.
      const byList = new Map<string, string[]>();
      for (const principal of principals) {
        const clientId = principal.clientId;
        if (principal.credential !== 'client_credentials' || clientId === undefined) continue;
        if (principal.tenantId !== tenantId) continue;
        const key =
          principal.ownerKind === 'user' && principal.userId !== undefined
            ? principal.userId
            : TENANT_LIST;
        const group = byList.get(key);
        if (group === undefined) byList.set(key, [clientId]);
        else group.push(clientId);
      }
      let revoked = 0;
      let lists = 0;
      for (const [key, ids] of byList) {
        if (lists >= maxLists) break;
        lists += 1;
        const list = await fetchList(tenantId, key, signal);
        for (const clientId of ids) {
          if (list.ids.has(clientId)) continue;
          await actions.revoke({ clientId });
          revoked += 1;
        }
      }
      if (revoked > 0) {
        options.logger.warn(
          { tenantId, revoked },
          'frontegg API tokens missing from their lists at reconciliation (a lost deletion webhook?); revoked',
        );
      }
      return { revoked, lists };
    },

    size() {
      return tenants.size;
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
