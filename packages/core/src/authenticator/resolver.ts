/**
 * The miss path of docs/design.md §2: the leader of a single-flight group asks the shared cache, then the
 * IdP (bounded in-flight calls, a timeout), applies the long-lived-JWT rule, and caches the answer
 * unless a racing invalidation matched it. IdP failures are never cached; with `staleIfErrorMs`
 * they may be answered from an expired positive entry.
 */
import { compactPrincipal } from '../cache/intern.js';
import type { Interner } from '../cache/intern.js';
import type { PrincipalCache } from '../cache/principal-cache.js';
import { publish } from '../diagnostics.js';
import { isPortcullisError, PortcullisError } from '../errors.js';
import { withDeadline } from '../limits/deadline.js';
import type { InFlightLimiter } from '../limits/in-flight-limiter.js';
import type { Provider, VerifiedCredential } from '../provider.js';
import type { GenerationLog } from '../revocation/generation-log.js';
import { assertLifetimeWithin, excessLifetimeMs } from '../revocation/lifetime.js';
import type { SharedPrincipalCache } from '../store.js';
import type { CredentialForm, ExtractedCredential, Principal } from '../types.js';
import { closedError, errorSummary, unexpectedProviderError } from './failures.js';
import type { IdpHealth } from './idp-health.js';
import type { ResolvedOptions } from './options.js';
import { isSharedCacheEntry } from './shared-shapes.js';

/** How a verification turned out; shared by every waiter of a single-flight group. */
export type Outcome =
  | { readonly ok: true; readonly principal: Principal; readonly stale: boolean }
  | { readonly ok: false; readonly error: PortcullisError };

/** Counters the resolver and the request path share (exposed by `stats()`). */
export interface Counters {
  hits: number;
  misses: number;
  negativeHits: number;
  staleHits: number;
  coalesced: number;
  idpCalls: number;
}

export interface ResolverDeps {
  readonly options: ResolvedOptions;
  readonly cache: PrincipalCache;
  /** Shares what cached principals repeat (roles, permissions, issuer, tenant). */
  readonly interner: Interner;
  readonly guard: GenerationLog;
  readonly limiter: InFlightLimiter;
  readonly idpHealth: IdpHealth;
  readonly counters: Counters;
  /** Aborted by `close()`: in-flight verifications end with `ERR_CLOSED`. */
  readonly closing: AbortSignal;
  /** The current tombstone lifetime (raised by the provider's longest token lifetime). */
  revocationTtlMs(): number;
  /** True for a client credential of a tenant under a deletion watch. */
  isWatched(principal: Principal): boolean;
}

/** IdP-side failures after which a stale entry may answer. */
const STALE_ELIGIBLE = new Set<string>([
  'ERR_IDP_UNAVAILABLE',
  'ERR_JWKS_UNAVAILABLE',
  'ERR_IDP_OVERLOADED',
]);
/** Failures that count against the IdP's health. */
const IDP_FAILURES = new Set<string>([
  'ERR_IDP_UNAVAILABLE',
  'ERR_JWKS_UNAVAILABLE',
  'ERR_IDP_RESPONSE_INVALID',
]);
const STALE_EVENT = (): { event: 'stale' } => ({ event: 'stale' });

export class Resolver {
  readonly #d: ResolverDeps;
  readonly #o: ResolvedOptions;
  readonly #provider: Provider;
  readonly #sharedCache: SharedPrincipalCache | undefined;
  readonly #open = new Set<OpenCall>();

  constructor(deps: ResolverDeps) {
    this.#d = deps;
    this.#o = deps.options;
    this.#provider = deps.options.provider;
    this.#sharedCache = deps.options.store?.sharedCache;
    // One listener for the authenticator's lifetime, not one per call.
    deps.closing.addEventListener(
      'abort',
      () => {
        for (const call of this.#open) call.fail(closedError());
      },
      { once: true },
    );
  }

  /** Resolves (never rejects) with the outcome for one cache key. */
  async resolve(key: string, credential: ExtractedCredential): Promise<Outcome> {
    const generation = this.#d.guard.current();
    const shared = await this.#fromSharedCache(key, credential.form, generation);
    if (shared !== undefined) return shared;
    try {
      const verified = await this.#d.limiter.run(() => this.#verify(credential));
      this.#d.idpHealth.success();
      const now = this.#o.now();
      // A Basic answer was just issued by the IdP for this secret: it is an online check.
      if (this.#mustBoundLifetime(credential.form, verified.checkedOnline)) {
        assertLifetimeWithin(verified.principal, this.#d.revocationTtlMs(), now);
      }
      const principal = this.#cachePositive(key, verified, generation, now);
      return { ok: true, principal, stale: false };
    } catch (error) {
      return this.#failed(key, error, generation);
    }
  }

  #mustBoundLifetime(form: CredentialForm, checkedOnline: boolean): boolean {
    return form !== 'basic' && !checkedOnline && !this.#o.revocation.allowLongLivedTokens;
  }

  /**
   * Caches a fresh answer unless a racing invalidation matched it (docs/design.md §2 race guard).
   * Returns the principal to answer with: the cached (compacted) one, so a hit and the miss
   * that filled it hand out the same object.
   */
  #cachePositive(
    key: string,
    verified: VerifiedCredential,
    generation: number,
    now: number,
  ): Principal {
    const original = verified.principal;
    const expMs = original.expiresAt === undefined ? Infinity : original.expiresAt * 1000;
    const freshUntil = Math.min(
      now + this.#o.cache.ttlMs,
      expMs,
      verified.maxTtlMs === undefined ? Infinity : now + verified.maxTtlMs,
    );
    if (freshUntil <= now) return original;
    // A revoked principal is cached too (the tombstone check runs on every hit), so retries of a
    // revoked credential do not reach the IdP.
    if (!this.#d.guard.mayCache(generation, original)) return original;
    const principal = compactPrincipal(original, this.#d.interner);
    this.#d.cache.setPositive(key, {
      negative: false,
      principal,
      freshUntil,
      staleUntil: Math.min(freshUntil + this.#o.cache.staleIfErrorMs, expMs),
      checkedOnline: verified.checkedOnline,
    });
    this.#sharedCache
      ?.set(key, { principal, expiresAt: freshUntil, checkedOnline: verified.checkedOnline })
      .catch((error: unknown) =>
        this.#o.logger.debug({ err: errorSummary(error) }, 'portcullis: shared cache write failed'),
      );
    return principal;
  }

  #failed(key: string, error: unknown, generation: number): Outcome {
    const failure = isPortcullisError(error)
      ? error
      : unexpectedProviderError(error, this.#o.logger);
    if (failure.negative) {
      // The IdP answered: the credential is bad, the IdP is fine.
      this.#d.idpHealth.success();
      const negativeTtlMs = this.#o.cache.negativeTtlMs;
      if (negativeTtlMs > 0 && this.#d.guard.mayCache(generation, undefined)) {
        this.#d.cache.setNegative(key, {
          negative: true,
          code: failure.code,
          message: failure.message,
          details: failure.details,
          freshUntil: this.#o.now() + negativeTtlMs,
        });
      }
      return { ok: false, error: failure };
    }
    if (IDP_FAILURES.has(failure.code)) this.#d.idpHealth.failure();
    if (this.#o.cache.staleIfErrorMs > 0 && STALE_ELIGIBLE.has(failure.code)) {
      const stale = this.#d.cache.getStale(key, this.#o.now());
      if (stale !== undefined) {
        this.#d.counters.staleHits++;
        publish('cache', STALE_EVENT);
        return { ok: true, principal: stale.principal, stale: true };
      }
    }
    return { ok: false, error: failure };
  }

  /** A local miss first asks the shared cache; what it returns is still tombstone- and policy-checked. */
  async #fromSharedCache(
    key: string,
    form: CredentialForm,
    generation: number,
  ): Promise<Outcome | undefined> {
    const sharedCache = this.#sharedCache;
    if (sharedCache === undefined) return undefined;
    let entry: unknown;
    try {
      entry = await withDeadline(
        sharedCache.get(key),
        this.#o.idp.timeoutMs,
        () => new Error('shared cache read timed out'),
      );
    } catch (error) {
      // The shared cache is an optimisation: on trouble, ask the IdP.
      this.#o.logger.debug({ err: errorSummary(error) }, 'portcullis: shared cache read failed');
      return undefined;
    }
    const now = this.#o.now();
    if (!isSharedCacheEntry(entry) || entry.expiresAt <= now) return undefined;
    const principal = compactPrincipal(entry.principal, this.#d.interner);
    // Under a deletion watch every replica checks the credential with the provider itself.
    if (this.#d.isWatched(principal)) return undefined;
    if (
      this.#mustBoundLifetime(form, entry.checkedOnline) &&
      excessLifetimeMs(principal, this.#d.revocationTtlMs(), now) !== undefined
    ) {
      return undefined; // the IdP path gives the long-lived answer
    }
    if (this.#d.guard.mayCache(generation, principal)) {
      const freshUntil = Math.min(entry.expiresAt, now + this.#o.cache.ttlMs);
      this.#d.cache.setPositive(key, {
        negative: false,
        principal,
        freshUntil,
        staleUntil: freshUntil,
        checkedOnline: entry.checkedOnline,
      });
    }
    return { ok: true, principal, stale: false };
  }

  /**
   * One provider call with the IdP timeout; `close()` aborts it too. No EventTarget listener per
   * call (adding and removing them cost more than the rest of a local JWT check, profiled): the
   * timer and `close()` reach the call through `#open`.
   */
  async #verify(credential: ExtractedCredential): Promise<VerifiedCredential> {
    if (this.#d.closing.aborted) throw closedError();
    const controller = new AbortController();
    let fail: (error: PortcullisError) => void = () => undefined;
    // A provider that ignores its signal must not hold the slot past the timeout.
    const guard = new Promise<never>((_, reject) => {
      fail = (error) => {
        controller.abort(error);
        reject(error);
      };
    });
    const call: OpenCall = { fail };
    const timer = setTimeout(timeOut, this.#o.idp.timeoutMs, call);
    timer.unref();
    this.#open.add(call);
    this.#d.counters.idpCalls++;
    try {
      return await Promise.race([
        this.#provider.verify(credential, { signal: controller.signal }),
        guard,
      ]);
    } catch (error) {
      if (controller.signal.aborted && isPortcullisError(controller.signal.reason)) {
        throw controller.signal.reason;
      }
      throw error;
    } finally {
      clearTimeout(timer);
      this.#open.delete(call);
    }
  }
}

/** An IdP call in progress, as the timer and `close()` see it. */
interface OpenCall {
  readonly fail: (error: PortcullisError) => void;
}

function timeOut(call: OpenCall): void {
  call.fail(
    new PortcullisError('ERR_IDP_UNAVAILABLE', 'The identity provider did not answer in time'),
  );
}
