/**
 * `createAuthenticator`: the facade every surface (middleware, Passport, sidecar) uses. It wires
 * extraction, the policy gate, the principal cache with single-flight and the in-flight bound, the
 * tombstone table, the race guard, the shared store and the webhook receivers (docs/design.md §1, §2, §5).
 * The hit path stays synchronous and in memory; the miss path lives in `authenticator/resolver.ts`,
 * the store side in `authenticator/store-link.ts`.
 */
import diagnostics from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { authorize as authorizeRequirements } from './authorization.js';
import type { Authenticator, AuthenticatorStats } from './authenticator/api.js';
import {
  closedError,
  errorSummary,
  negativeError,
  safeHealth,
  unexpectedProviderError,
} from './authenticator/failures.js';
import { buildHealthReport } from './authenticator/health-report.js';
import { IdpHealth } from './authenticator/idp-health.js';
import { resolveOptions } from './authenticator/options.js';
import type { AuthenticatorOptions, ResolvedOptions } from './authenticator/options.js';
import { ReadyDeadline } from './authenticator/ready-deadline.js';
import { Resolver } from './authenticator/resolver.js';
import type { Counters, Outcome } from './authenticator/resolver.js';
import { StoreLink } from './authenticator/store-link.js';
import { buildStandardReceiver } from './authenticator/webhooks.js';
import { createCacheKeyer } from './cache/cache-key.js';
import type { CacheKeyer } from './cache/cache-key.js';
import { Interner } from './cache/intern.js';
import { PrincipalCache } from './cache/principal-cache.js';
import { extractCredential } from './credentials/extract.js';
import { CHANNELS, publish } from './diagnostics.js';
import type { DecisionEvent } from './diagnostics.js';
import { isPortcullisError, PortcullisError } from './errors.js';
import { InFlightLimiter } from './limits/in-flight-limiter.js';
import { SingleFlight } from './limits/single-flight.js';
import { acceptsBasic, gateForm, gateKind } from './policy/gate.js';
import { PolicyManager } from './policy/policy-manager.js';
import type { AuthenticatorActions, ProviderContext } from './provider.js';
import { GenerationLog } from './revocation/generation-log.js';
import { LOCK_TTL_MS } from './revocation/lifetime.js';
import { normalizeSelector } from './revocation/selector.js';
import { TombstoneTable } from './revocation/tombstone-table.js';
import { ReconcileSweep } from './revocation/reconcile-sweep.js';
import { WatchTable } from './revocation/watch-table.js';
import type {
  ComponentHealth,
  CredentialForm,
  ExtractedCredential,
  HealthReport,
  PolicyObservation,
  PolicyState,
  Principal,
  RequestLike,
  Requirements,
  Selector,
  TenantWatch,
  Tombstone,
} from './types.js';
import type { WebhookReceiver } from './webhook-types.js';

export type { Authenticator, AuthenticatorStats } from './authenticator/api.js';
export type { AuthenticatorOptions } from './authenticator/options.js';

type CacheLabel = DecisionEvent['cache'];

const ALL: Selector = Object.freeze({ all: true as const });
/** A loud tombstone eviction keeps the `tombstones` component degraded this long. */
const EVICTION_DEGRADED_MS = 60 * 60 * 1000;
/** Longest provider-reported token lifetime taken as the tombstone TTL floor (1 year). */
const MAX_TTL_FLOOR_MS = 366 * 24 * 60 * 60 * 1000;
/** Most tenants under a deletion watch at once (each is one small map entry). */
const MAX_WATCHES = 10_000;
/** Longest deletion watch accepted from a provider (a year, like the TTL floor). */
const MAX_WATCH_TTL_MS = MAX_TTL_FLOOR_MS;
/** Longest pause between two provider warm-up attempts. */
const WARM_UP_MAX_DELAY_MS = 5_000;

// Payload factories allocated once: publishing on the hit path costs a `hasSubscribers` check.
const decisionChannel = diagnostics.channel(CHANNELS.decision);
const CACHE_EVENTS = {
  hit: () => ({ event: 'hit' as const }),
  miss: () => ({ event: 'miss' as const }),
  negativeHit: () => ({ event: 'negative-hit' as const }),
  coalesced: () => ({ event: 'coalesced' as const }),
};

/**
 * Creates an authenticator. Validates every option (throws `ERR_INVALID_OPTION` naming it), calls
 * `provider.init`, starts the policy sync (unref'd timer) and, when configured, the shared store.
 *
 * @example
 * const auth = createAuthenticator({ provider: oauth2({ issuer }) });
 * await auth.ready();
 * const principal = await auth.authenticate({ headers: req.headers, url: req.url });
 */
/** What a deletion watch re-checks: the tenant's client credentials (access tokens are live-checked). */
function watchedSelector(tenantId: string): Selector {
  return normalizeSelector({ tenantId, credential: 'client_credentials' });
}

/** Waits `ms` (unref'd), or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  return new PortcullisAuthenticator(resolveOptions(options));
}

class PortcullisAuthenticator implements Authenticator {
  readonly #o: ResolvedOptions;
  readonly #keyer: CacheKeyer;
  readonly #cache: PrincipalCache;
  readonly #guard = new GenerationLog();
  readonly #table: TombstoneTable;
  readonly #watches: WatchTable;
  readonly #limiter: InFlightLimiter;
  readonly #flights = new SingleFlight<Outcome>();
  readonly #resolver: Resolver;
  readonly #policy: PolicyManager;
  readonly #idpHealth: IdpHealth;
  readonly #readyDeadline: ReadyDeadline;
  readonly #link: StoreLink | undefined;
  readonly #sweep: ReconcileSweep | undefined;
  readonly #closing = new AbortController();
  readonly #counters: Counters = {
    hits: 0,
    misses: 0,
    negativeHits: 0,
    staleHits: 0,
    coalesced: 0,
    idpCalls: 0,
  };
  #closed = false;
  /** Set once policy, provider warm-up and the first store load are over (then never unset). */
  #isReady = false;
  #providerWarm: boolean;
  #storeLoaded: boolean;
  #readyPromise: Promise<void> = Promise.resolve();
  #revocationTtlMs: number;
  #lastPolicyWrite: Promise<void> = Promise.resolve();

  readonly policy: Authenticator['policy'];
  readonly webhooks: Readonly<Record<string, WebhookReceiver>>;

  constructor(o: ResolvedOptions) {
    this.#o = o;
    this.#revocationTtlMs = o.revocation.ttlMs;
    this.#readyDeadline = new ReadyDeadline(o.readyTimeoutMs);
    this.#keyer = createCacheKeyer(o.cache.keySecret);
    this.#cache = new PrincipalCache({
      maxEntries: o.cache.maxEntries,
      maxBytes: o.cache.maxBytes,
      onEvict: (reason) => publish('cache', () => ({ event: 'evict', reason })),
    });
    this.#table = new TombstoneTable({
      maxTombstones: o.revocation.maxTombstones,
      clockToleranceSec: o.clockToleranceSec,
      onEvict: (evicted, size) => this.#loudEviction(evicted, size),
    });
    this.#watches = new WatchTable({
      maxWatches: MAX_WATCHES,
      onEvict: (evicted) =>
        o.logger.error(
          { tenantId: evicted.tenantId, maxWatches: MAX_WATCHES },
          'portcullis: too many deletion watches; stopped watching the tenant closest to expiry',
        ),
    });
    this.#limiter = new InFlightLimiter({
      maxInFlight: o.idp.maxInFlight,
      maxQueue: o.idp.maxQueue,
    });
    this.#idpHealth = new IdpHealth(o.now);
    this.#resolver = new Resolver({
      options: o,
      cache: this.#cache,
      interner: new Interner(),
      guard: this.#guard,
      limiter: this.#limiter,
      idpHealth: this.#idpHealth,
      counters: this.#counters,
      closing: this.#closing.signal,
      revocationTtlMs: () => this.#revocationTtlMs,
      isWatched: (principal) => this.#isWatched(principal),
    });
    this.#policy = this.#createPolicyManager();
    const policy = this.#policy;
    this.policy = Object.freeze({
      current: () => policy.current(),
      onChange: (listener: (state: PolicyState) => void) => policy.onChange(listener),
      apply: (observation: PolicyObservation, source: string) =>
        this.#applyPolicyEvent(observation, source),
      refresh: () => policy.refresh(),
    });
    this.#link = o.store === undefined ? undefined : this.#createStoreLink(o);
    this.#sweep = this.#createSweep(o);
    this.#providerWarm = o.provider.ready === undefined;
    this.#storeLoaded = this.#link === undefined;

    // The standard receiver validates its secrets: build it before the provider starts anything.
    const standard = buildStandardReceiver(o, this.#actions('webhook:standard'));
    o.provider.init?.(this.#providerContext());
    const providerReceivers =
      o.provider.createWebhookReceivers?.(this.#actions(`webhook:${o.provider.name}`)) ?? {};
    this.webhooks = Object.freeze({ standard, ...providerReceivers });

    this.#policy.start();
    const loaded = this.#link?.start().then(() => {
      this.#storeLoaded = true;
    });
    this.#readyPromise = Promise.all([this.#policy.ready(), loaded, this.#warmProvider()]).then(
      () => {
        this.#isReady = true;
        this.#sweep?.start();
      },
    );
  }

  // ---------------------------------------------------------------- request path

  async authenticate(request: RequestLike): Promise<Principal> {
    // An async function turns a synchronous throw into a rejection.
    return this.authenticateOrDefer(request);
  }

  /**
   * The hit path, synchronous: no promise, no closure and no event object unless someone
   * subscribed. Only a cache miss (or a coalesced wait) goes on to `#resolveMiss`.
   */
  authenticateOrDefer(request: RequestLike): Principal | Promise<Principal> {
    // Until start-up has loaded policy, vendor token and shared state, answers wait for it.
    if (!this.#isReady && !this.#closed) return this.#afterStartUp(request);
    return this.#authenticateLoaded(request);
  }

  async #afterStartUp(request: RequestLike): Promise<Principal> {
    // Taken before the wait, so a refusal's decision event reports the time the caller waited.
    const startedAt = decisionChannel.hasSubscribers ? performance.now() : 0;
    try {
      await this.#untilReady();
    } catch (error) {
      throw this.#failure(error, undefined, 'none', startedAt);
    }
    return this.#authenticateLoaded(request);
  }

  #authenticateLoaded(request: RequestLike): Principal | Promise<Principal> {
    const startedAt = decisionChannel.hasSubscribers ? performance.now() : 0;
    let form: CredentialForm | undefined;
    let label: CacheLabel = 'none';
    try {
      if (this.#closed) throw closedError();
      const credential = extractCredential(request, this.#o.credentials);
      form = credential.form;
      gateForm(this.#policy.current(), form);
      const key = this.#keyer(credential);
      const entry = this.#cache.get(key, this.#o.now());
      if (entry === undefined) return this.#resolveMiss(key, credential, startedAt);
      if (entry.negative) {
        label = 'negative-hit';
        this.#counters.negativeHits++;
        publish('cache', CACHE_EVENTS.negativeHit);
        throw negativeError(entry);
      }
      label = 'hit';
      this.#counters.hits++;
      publish('cache', CACHE_EVENTS.hit);
      const principal = entry.principal;
      // Every answer, cached or fresh, and every single-flight waiter: tombstones, then policy.
      this.#admit(principal);
      if (startedAt !== 0) this.#decision('allow', undefined, form, principal, label, startedAt);
      return principal;
    } catch (error) {
      throw this.#failure(error, form, label, startedAt);
    }
  }

  /**
   * Start-up: an unknown policy answers at once (the gate's ERR_POLICY_UNKNOWN); the rest of the
   * load (vendor token, shared tombstones and watches) is usually a few ms away, so wait for it,
   * bounded by the IdP timeout, then answer 503 rather than decide on half-loaded state.
   */
  async #untilReady(): Promise<void> {
    if (!this.#policy.known()) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#o.idp.timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([this.#readyPromise, timedOut]);
    } finally {
      clearTimeout(timer);
    }
    if (this.#closed) throw closedError();
    if (!this.#isReady && this.#policy.known()) {
      throw new PortcullisError(
        'ERR_NOT_READY',
        `Starting: ${this.#loading().join(', ')} not loaded yet; retry shortly`,
      );
    }
  }

  /** What start-up still waits for besides the policy. */
  #loading(): string[] {
    const loading: string[] = [];
    if (!this.#providerWarm) loading.push(`${this.#o.provider.name} provider`);
    if (!this.#storeLoaded) loading.push('shared revocation state');
    return loading;
  }

  /** Retries `provider.ready` with back-off until it succeeds or the authenticator closes. */
  async #warmProvider(): Promise<void> {
    const provider = this.#o.provider;
    if (provider.ready === undefined) return;
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        await provider.ready(
          AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#o.idp.timeoutMs)]),
        );
        this.#providerWarm = true;
        return;
      } catch (error) {
        if (this.#closed) return;
        if (attempt === 0) {
          this.#o.logger.warn(
            { err: errorSummary(error), provider: provider.name },
            'portcullis: the provider is not ready yet (retrying); requests get 503 meanwhile',
          );
        }
        await pause(Math.min(250 * 2 ** attempt, WARM_UP_MAX_DELAY_MS), this.#closing.signal);
      }
    }
  }

  async #resolveMiss(
    key: string,
    credential: ExtractedCredential,
    startedAt: number,
  ): Promise<Principal> {
    const form = credential.form;
    let label: CacheLabel = 'miss';
    try {
      let pending = this.#flights.joinable(key);
      if (pending !== undefined) {
        label = 'coalesced';
        this.#counters.coalesced++;
        publish('cache', CACHE_EVENTS.coalesced);
      } else {
        label = 'miss';
        this.#counters.misses++;
        publish('cache', CACHE_EVENTS.miss);
        pending = this.#flights.run(key, () => this.#resolver.resolve(key, credential));
      }
      const outcome = await pending;
      if (!outcome.ok) throw outcome.error;
      if (outcome.stale) label = 'stale';
      const principal = outcome.principal;
      this.#admit(principal);
      if (startedAt !== 0) this.#decision('allow', undefined, form, principal, label, startedAt);
      return principal;
    } catch (error) {
      throw this.#failure(error, form, label, startedAt);
    }
  }

  /** The typed error to throw, with its decision event when someone listens. */
  #failure(
    error: unknown,
    form: CredentialForm | undefined,
    label: CacheLabel,
    startedAt: number,
  ): PortcullisError {
    const failure = isPortcullisError(error)
      ? error
      : unexpectedProviderError(error, this.#o.logger);
    if (decisionChannel.hasSubscribers) {
      const outcome = failure.status >= 500 ? 'error' : 'deny';
      this.#decision(outcome, failure.code, form, undefined, label, startedAt);
    }
    return failure;
  }

  authorize(principal: Principal, requirements: Requirements): void {
    authorizeRequirements(principal, requirements);
  }

  #admit(principal: Principal): void {
    const tombstone = this.#table.check(principal, this.#o.now());
    if (tombstone !== undefined) {
      throw new PortcullisError('ERR_TOKEN_REVOKED', 'The credential has been revoked', {
        details: { revokedAt: tombstone.revokedAt },
      });
    }
    gateKind(this.#policy.current(), principal.credential);
  }

  #decision(
    outcome: DecisionEvent['outcome'],
    code: string | undefined,
    form: CredentialForm | undefined,
    principal: Principal | undefined,
    cache: CacheLabel,
    startedAt: number,
  ): void {
    const durationMs = startedAt === 0 ? 0 : performance.now() - startedAt;
    publish('decision', () => ({
      outcome,
      ...(code === undefined ? {} : { code }),
      ...(form === undefined ? {} : { form }),
      ...(principal === undefined ? {} : { credential: principal.credential }),
      ...(principal?.grantsSource === undefined ? {} : { grantsSource: principal.grantsSource }),
      cache,
      durationMs,
    }));
  }

  // ---------------------------------------------------------------- revocation

  invalidate(selector: Selector): Promise<void> {
    return this.#invalidate(selector, 'local');
  }

  revoke(selector: Selector): Promise<void> {
    return this.#revoke(selector, 'local');
  }

  lockUser(userId: string): Promise<void> {
    return this.#lock(userId, 'local');
  }

  unlockUser(userId: string): Promise<void> {
    return this.#unlock(userId, 'local');
  }

  flush(): Promise<void> {
    return this.#flush('operator');
  }

  tombstones(): readonly Tombstone[] {
    return Object.freeze(this.#table.list(this.#o.now()));
  }

  async #invalidate(selector: Selector, source: string): Promise<void> {
    if (this.#closed) throw closedError();
    const normalized = normalizeSelector(selector);
    this.#invalidateLocally(normalized, source);
    await this.#link?.write('invalidation', async (store) => {
      await store.publish({
        v: 1,
        origin: this.#o.originId,
        type: 'invalidate',
        selector: normalized,
      });
      await store.sharedCache?.deleteMatching(normalized);
    });
  }

  async #revoke(selector: Selector, source: string): Promise<void> {
    if (this.#closed) throw closedError();
    const now = this.#o.now();
    await this.#recordTombstone(
      Object.freeze({
        kind: 'revoke',
        selector: normalizeSelector(selector),
        revokedAt: now,
        expiresAt: now + this.#revocationTtlMs,
      }),
      source,
    );
  }

  async #lock(userId: string, source: string): Promise<void> {
    if (this.#closed) throw closedError();
    const now = this.#o.now();
    await this.#recordTombstone(
      Object.freeze({
        kind: 'lock',
        selector: normalizeSelector({ userId }),
        revokedAt: now,
        expiresAt: now + LOCK_TTL_MS,
      }),
      source,
    );
  }

  async #recordTombstone(tombstone: Tombstone, source: string): Promise<void> {
    const stored = this.#applyTombstone(tombstone, source) ?? tombstone;
    // Stored before published, so a replica that misses the message still finds it on resync.
    await this.#link?.write('revocation', async (store) => {
      await store.saveTombstone(stored);
      await store.publish({ v: 1, origin: this.#o.originId, type: 'revoke', tombstone: stored });
      await store.sharedCache?.deleteMatching(stored.selector);
    });
  }

  async #unlock(userId: string, source: string): Promise<void> {
    if (this.#closed) throw closedError();
    const selector = normalizeSelector({ userId });
    const now = this.#o.now();
    const lock: Tombstone =
      this.#unlockLocally(userId, source) ??
      Object.freeze({ kind: 'lock', selector, revokedAt: now, expiresAt: now + LOCK_TTL_MS });
    await this.#link?.write('unlock', async (store) => {
      await store.deleteTombstone(lock);
      await store.publish({ v: 1, origin: this.#o.originId, type: 'unlock', userId });
    });
  }

  async #flush(source: string): Promise<void> {
    if (this.#closed) throw closedError();
    this.#flushLocally(source);
    await this.#link?.write('flush', async (store) => {
      await store.publish({ v: 1, origin: this.#o.originId, type: 'flush' });
      await store.sharedCache?.clear();
    });
  }

  /** Starts (or restarts) a deletion watch here and on every replica. */
  async #watchTenant(tenantId: string, ttlMs: number, source: string): Promise<TenantWatch> {
    if (this.#closed) throw closedError();
    if (typeof tenantId !== 'string' || tenantId === '' || tenantId.length > 1024) {
      throw new PortcullisError('ERR_INVALID_OPTION', 'a deletion watch needs a tenant id');
    }
    const now = this.#o.now();
    const requested: TenantWatch = Object.freeze({
      tenantId,
      startedAt: now,
      expiresAt: now + Math.min(Math.max(ttlMs, 1), MAX_WATCH_TTL_MS),
    });
    const watch = this.#applyWatch(requested, source) ?? requested;
    // Stored before published, like a tombstone: a replica that misses the message loads it.
    await this.#link?.write('deletion watch', async (store) => {
      await store.saveWatch(watch);
      await store.publish({ v: 1, origin: this.#o.originId, type: 'watch', watch });
      await store.sharedCache?.deleteMatching(watchedSelector(tenantId));
    });
    return watch;
  }

  /**
   * Adds the watch and drops the tenant's cached client credentials: each is verified again (and
   * checked against the IdP's list) once under the watch, then cached as usual.
   */
  #applyWatch(watch: TenantWatch, source: string): TenantWatch | undefined {
    const stored = this.#watches.add(watch, this.#o.now());
    if (stored !== undefined) this.#invalidateLocally(watchedSelector(watch.tenantId), source);
    return stored;
  }

  #isWatched(principal: Principal): boolean {
    return (
      principal.credential === 'client_credentials' &&
      principal.tenantId !== undefined &&
      this.#watches.size > 0 &&
      this.#watches.get(principal.tenantId, this.#o.now()) !== undefined
    );
  }

  #invalidateLocally(selector: Selector, source: string): void {
    this.#guard.record(selector);
    this.#cache.invalidate(selector);
    publish('revocation', () => ({ action: 'invalidate', source, selector }));
  }

  /** Adds the tombstone and drops what it covers from the cache. Returns what the table holds. */
  #applyTombstone(tombstone: Tombstone, source: string): Tombstone | undefined {
    this.#guard.record(tombstone.selector);
    const stored = this.#table.add(tombstone, this.#o.now());
    this.#cache.invalidate(tombstone.selector);
    publish('revocation', () => ({ action: tombstone.kind, source, selector: tombstone.selector }));
    return stored;
  }

  #unlockLocally(userId: string, source: string): Tombstone | undefined {
    const removed = this.#table.unlock(userId);
    // The IdP refused the user's credentials while locked; those refusals are cached under
    // credential hashes that cannot be traced to the user. Negative entries are cheap to rebuild:
    // drop them all (and keep in-flight refusals out) so the unlocked credential works at once.
    this.#guard.record(ALL);
    this.#cache.clearNegative();
    publish('revocation', () => ({ action: 'unlock', source, selector: { userId } }));
    return removed;
  }

  #flushLocally(source: string): void {
    this.#guard.record(ALL);
    this.#cache.clear('clear');
    publish('cache', () => ({ event: 'clear', reason: source }));
    publish('revocation', () => ({ action: 'flush', source }));
  }

  #loudEviction(evicted: Tombstone, size: number): void {
    this.#o.logger.error(
      {
        evictedKind: evicted.kind,
        evictedExpiresAt: evicted.expiresAt,
        size,
        maxTombstones: this.#o.revocation.maxTombstones,
      },
      'portcullis: the tombstone table is full; the revocation closest to expiry was evicted and its credentials may be accepted again',
    );
    publish('tombstoneEviction', () => ({ evicted: this.#table.evictions, size }));
  }

  #raiseRevocationTtl(seconds: number): void {
    const floorMs = Math.min(seconds * 1000, MAX_TTL_FLOOR_MS);
    if (floorMs <= this.#revocationTtlMs) return;
    this.#o.logger.info(
      { revocationTtlMs: floorMs, configuredMs: this.#o.revocation.ttlMs },
      "portcullis: raising the revocation TTL to the identity provider's longest token lifetime",
    );
    this.#revocationTtlMs = floorMs;
    // Tombstones made before the raise must outlive the longer tokens too (locally; other
    // replicas raise their own floor from their own policy read).
    this.#table.extendRevocations(floorMs, this.#o.now());
  }

  // ---------------------------------------------------------------- policy

  acceptsBasic(): boolean {
    return acceptsBasic(this.#policy.current());
  }

  #createPolicyManager(): PolicyManager {
    const o = this.#o;
    return new PolicyManager({
      pins: { enabled: o.policy.enabled, acceptedCredentials: o.policy.acceptedCredentials },
      readPolicy: o.provider.readPolicy?.bind(o.provider),
      syncIntervalMs: o.policy.syncIntervalMs,
      timeoutMs: o.idp.timeoutMs,
      originId: o.originId,
      now: o.now,
      logger: o.logger,
      onTransition: (previous, next, source) => {
        if (next.enabled === false && previous.enabled !== false) {
          // Disabled: forget every answer. Nothing is tombstoned, so re-enabling restores them.
          this.#flushLocally(`policy:${source}`);
        }
      },
      onReenabled: (source) => {
        // Negative answers given while the IdP had M2M off must not outlive the re-enable
        // (also when a pin kept the local state enabled).
        this.#guard.record(ALL);
        this.#cache.clearNegative();
        publish('cache', () => ({ event: 'clear', reason: `policy:${source}` }));
      },
      onLocalChange: (observed) => {
        const link = this.#link;
        if (link === undefined) return;
        const write = link.persistPolicy(observed);
        this.#lastPolicyWrite = write;
        write.catch((error: unknown) =>
          o.logger.warn({ err: errorSummary(error) }, 'portcullis: storing the M2M policy failed'),
        );
      },
      onMaxTokenLifetime: (seconds) => this.#raiseRevocationTtl(seconds),
      onRead: (ok, error) => {
        if (ok) this.#idpHealth.success();
        else this.#idpHealth.failure();
        this.#readyDeadline.recordRead(ok, error);
      },
    });
  }

  async #applyPolicyEvent(observation: PolicyObservation, source: string): Promise<void> {
    if (this.#closed) throw closedError();
    const changed = this.#policy.observe(observation, source);
    // An event is confirmed (or corrected) by the IdP's own settings, read after it.
    void this.#policy.refresh();
    if (changed) await this.#link?.write('policy change', () => this.#lastPolicyWrite);
  }

  // ---------------------------------------------------------------- wiring

  #createStoreLink(o: ResolvedOptions): StoreLink {
    return new StoreLink(o.store as NonNullable<ResolvedOptions['store']>, {
      originId: o.originId,
      logger: o.logger,
      table: this.#table,
      watches: this.#watches,
      policy: this.#policy,
      now: o.now,
      isClosed: () => this.#closed,
      invalidateLocally: (selector, source) => this.#invalidateLocally(selector, source),
      applyTombstone: (tombstone, source) => {
        this.#applyTombstone(tombstone, source);
      },
      applyWatch: (watch, source) => {
        this.#applyWatch(watch, source);
      },
      unlockLocally: (userId, source) => {
        this.#unlockLocally(userId, source);
      },
      flushLocally: (source) => this.#flushLocally(source),
    });
  }

  /** The lost-webhook sweep, when the provider can list tokens and it is not switched off. */
  #createSweep(o: ResolvedOptions): ReconcileSweep | undefined {
    const provider = o.provider;
    const reconcile = provider.reconcile?.bind(provider);
    if (reconcile === undefined || o.revocation.reconcileIntervalMs === 0) return undefined;
    const actions = this.#actions('reconcile');
    return new ReconcileSweep({
      intervalMs: o.revocation.reconcileIntervalMs,
      maxTenants: o.revocation.reconcileMaxTenants,
      tenants: () => this.#cache.tenantIds(),
      principalsOf: (tenantId) => this.#cache.clientCredentialsOfTenant(tenantId),
      reconcile: (tenantId, principals, signal) => reconcile(tenantId, principals, actions, signal),
      lease: async (tenantId, ttlMs) => {
        const link = this.#link;
        if (link === undefined) return true;
        try {
          return await link.store.acquireLease(`reconcile:${tenantId}`, ttlMs);
        } catch {
          // Store down: replicas cannot share the work, so each checks its own cache.
          return true;
        }
      },
      timeoutMs: o.idp.timeoutMs * 4,
      logger: o.logger,
      random: Math.random,
    });
  }

  #providerContext(): ProviderContext {
    const o = this.#o;
    return Object.freeze({
      logger: o.logger,
      now: o.now,
      dispatcher: o.idp.dispatcher,
      timeoutMs: o.idp.timeoutMs,
      clockToleranceSec: o.clockToleranceSec,
      actions: this.#actions(`provider:${o.provider.name}`),
      observePolicy: (observation: PolicyObservation, source: string) => {
        try {
          this.#policy.observe(observation, source);
        } catch (error) {
          o.logger.warn(
            { err: errorSummary(error), source },
            'portcullis: ignored a malformed policy observation',
          );
          return;
        }
        // What the IdP said in passing (e.g. a 403 "disabled") is confirmed by a settings read.
        if (observation.enabled !== undefined || observation.acceptedCredentials !== undefined) {
          void this.#policy.refresh();
        }
      },
      requestPolicyRefresh: () => {
        void this.#policy.refresh();
      },
    });
  }

  /** The actions webhook receivers and the provider take, tagged with where they came from. */
  #actions(source: string): AuthenticatorActions {
    return Object.freeze({
      revoke: (selector: Selector) => this.#revoke(selector, source),
      invalidate: (selector: Selector) => this.#invalidate(selector, source),
      lockUser: (userId: string) => this.#lock(userId, source),
      unlockUser: (userId: string) => this.#unlock(userId, source),
      // The pipeline already names its receiver (`webhook:standard`); add ours only when it differs.
      applyPolicyEvent: (observation: PolicyObservation, eventSource: string) =>
        this.#applyPolicyEvent(
          observation,
          eventSource === source || eventSource.startsWith(`${source}:`)
            ? eventSource
            : `${source}:${eventSource}`,
        ),
      cachedClientIds: (tenantId: string) => this.#cache.clientIdsOfTenant(tenantId),
      watchTenant: (tenantId: string, ttlMs: number) => this.#watchTenant(tenantId, ttlMs, source),
      watchOf: (tenantId: string) => this.#watches.get(tenantId, this.#o.now()),
      isRevoked: (principal: Principal) =>
        this.#table.check(principal, this.#o.now()) !== undefined,
    });
  }

  // ---------------------------------------------------------------- operations

  stats(): AuthenticatorStats {
    return Object.freeze({
      ...this.#counters,
      evictions: this.#cache.evictions(),
      size: this.#cache.size,
      bytes: this.#cache.bytes,
      tombstones: this.#table.size,
      inFlight: this.#limiter.inFlight,
    });
  }

  health(): HealthReport {
    const o = this.#o;
    const lastEviction = this.#table.lastEvictionAt;
    const tombstones: ComponentHealth =
      lastEviction !== undefined && o.now() - lastEviction < EVICTION_DEGRADED_MS
        ? {
            status: 'degraded',
            detail: `tombstone table full: ${this.#table.evictions} revocations evicted`,
          }
        : {
            status: 'ok',
            detail:
              `${this.#table.size} of ${o.revocation.maxTombstones}` +
              (this.#watches.size > 0 ? `; ${this.#watches.size} tenant(s) watched` : ''),
          };
    const store = this.#link?.store;
    return buildHealthReport({
      policy: this.#policy.current(),
      idp: this.#idpHealth.report(safeHealth(() => o.provider.health?.())),
      store:
        store === undefined
          ? undefined
          : (safeHealth(() => store.health()) ?? { status: 'down', detail: 'no health' }),
      tombstones,
      closed: this.#closed,
      loading: this.#isReady ? [] : this.#loading(),
    });
  }

  ready(): Promise<void> {
    if (this.#closed && !this.#policy.known()) return Promise.reject(closedError());
    // `store.start` resolves even when the store is unreachable, so a Redis outage cannot hang it;
    // the provider warm-up and the policy wait for the IdP. The deadline bounds that wait and
    // names why; a refused vendor key rejects at once.
    return this.#readyDeadline.wait(this.#readyPromise, this.#isReady);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#policy.close();
    this.#sweep?.close();
    this.#closing.abort();
    this.#limiter.rejectQueued(closedError());
    this.#readyDeadline.abort(closedError());
    const link = this.#link;
    const results = await Promise.allSettled([
      this.#o.provider.close?.(),
      link?.started().then(() => link.store.close()),
    ]);
    for (const result of results) {
      if (result.status === 'rejected') {
        this.#o.logger.warn(
          { err: errorSummary(result.reason) },
          'portcullis: error while closing',
        );
      }
    }
  }
}
